import { type AnalyticsQueryAst, type Comparison, type Expression, SqlError, type Value } from './sql-parser.js';
import type { DataPoint } from './store.js';

/**
 * Answers a parsed query from the data points the edge keeps, as Analytics Engine does: every
 * point has _sample_interval 1 here (nothing is sampled), a blob or double that was not written
 * reads as '' or 0, and the answer is ClickHouse's JSON format — 64-bit integer counts as
 * strings, floats as numbers, `{meta, data, rows, rows_before_limit_at_least}`.
 */

export interface AnalyticsAnswer {
  meta: { name: string; type: string }[];
  data: Record<string, string | number | null>[];
  rows: number;
  rows_before_limit_at_least: number;
}

type Scalar = string | number;

/**
 * ClickHouse's quantileExactWeighted (which Analytics Engine's quantileWeighted follows): values
 * in order, each counted `weight` times; the first whose running weight reaches ceil(total × level).
 * NaN without weight.
 */
export function weightedQuantile(samples: readonly { value: number; weight: number }[], level: number): number {
  const sorted = samples.filter((s) => s.weight > 0 && Number.isFinite(s.value)).sort((a, b) => a.value - b.value);
  const total = sorted.reduce((sum, s) => sum + s.weight, 0);
  if (total === 0) return Number.NaN;
  const threshold = Math.ceil(total * level);
  let accumulated = 0;
  for (const sample of sorted) {
    accumulated += sample.weight;
    if (accumulated >= threshold) return sample.value;
  }
  return (sorted.at(-1) as { value: number }).value;
}

function read(point: DataPoint, column: string): Scalar {
  if (column === 'timestamp') return Date.parse(point.time);
  if (column === '_sample_interval') return 1;
  if (column === 'dataset') return point.dataset;
  if (column === 'index1') return point.indexes[0] ?? '';
  const match = /^(blob|double)(\d+)$/.exec(column);
  const index = Number(match?.[2]) - 1;
  return match?.[1] === 'blob' ? (point.blobs[index] ?? '') : (point.doubles[index] ?? 0);
}

function evaluate(value: Value, point: DataPoint, now: number): Scalar {
  switch (value.kind) {
    case 'column':
      return read(point, value.name);
    case 'now':
      return now - value.seconds * 1000;
    default:
      return value.value;
  }
}

function holds(comparisons: readonly Comparison[], point: DataPoint, now: number): boolean {
  return comparisons.every(({ left, op, right }) => {
    const a = evaluate(left, point, now);
    const b = evaluate(right, point, now);
    switch (op) {
      case '=':
        return a === b;
      case '!=':
        return a !== b;
      case '<':
        return a < b;
      case '<=':
        return a <= b;
      case '>':
        return a > b;
      default:
        return a >= b;
    }
  });
}

const isAggregate = (e: Expression) => e.kind !== 'column';

/** The ClickHouse type of an item's result, as `meta` names it. */
function typeName(e: Expression): string {
  if (e.kind === 'column') return e.type === 'string' ? 'String' : e.type === 'datetime' ? 'DateTime' : 'Float64';
  if (e.kind === 'quantile') return 'Float64';
  if (e.kind === 'count') return 'UInt64';
  return e.column === '_sample_interval' ? 'UInt64' : 'Float64';
}

function aggregate(e: Exclude<Expression, { kind: 'column' }>, points: readonly DataPoint[], now: number): number {
  switch (e.kind) {
    case 'count':
      return points.length;
    case 'sum':
      return points.reduce((sum, p) => sum + Number(read(p, e.column)), 0);
    case 'sumIf':
      return points.reduce((sum, p) => (holds(e.where, p, now) ? sum + Number(read(p, e.column)) : sum), 0);
    case 'quantile':
      return weightedQuantile(
        points.map((p) => ({ value: Number(read(p, e.column)), weight: Number(read(p, e.weight)) })),
        e.level,
      );
  }
}

/** How a value is written: 64-bit integers as strings (ClickHouse's default), NaN as null, DateTime as text. */
function output(type: string, value: Scalar): string | number | null {
  if (type === 'UInt64') return String(Math.round(Number(value)));
  if (type === 'DateTime') return new Date(Number(value)).toISOString().slice(0, 19).replace('T', ' ');
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}

export function runAnalyticsQuery(ast: AnalyticsQueryAst, points: readonly DataPoint[], now: number): AnalyticsAnswer {
  if (!ast.items.some((item) => isAggregate(item.expression))) throw new SqlError('a query without an aggregate is not supported here');
  // Each GROUP BY name is an item's alias or a column, and each plain column item is grouped by.
  const keys = ast.groupBy.map((name) => {
    const item = ast.items.find((candidate) => candidate.alias === name);
    if (item && item.expression.kind === 'column') return item.expression.name;
    if (item) throw new SqlError(`cannot GROUP BY the aggregate ${name}`);
    throw new SqlError(`GROUP BY ${name}: not a selected column`);
  });
  for (const item of ast.items) {
    if (item.expression.kind === 'column' && !keys.includes(item.expression.name)) {
      throw new SqlError(`column ${item.expression.name} (${item.alias}) must be in GROUP BY`);
    }
  }
  const selected = points.filter((point) => point.dataset === ast.dataset && holds(ast.where, point, now));
  const groups = new Map<string, DataPoint[]>();
  for (const point of selected) {
    const key = JSON.stringify(keys.map((column) => read(point, column)));
    const members = groups.get(key);
    if (members) members.push(point);
    else groups.set(key, [point]);
  }
  // Without GROUP BY an aggregate query has exactly one row, also over no points.
  if (keys.length === 0 && groups.size === 0) groups.set('[]', []);
  const meta = ast.items.map((item) => ({ name: item.alias, type: typeName(item.expression) }));
  const data = [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, members]) => {
      const row: Record<string, string | number | null> = {};
      ast.items.forEach((item, index) => {
        const e = item.expression;
        const value = e.kind === 'column' ? read(members[0] as DataPoint, e.name) : aggregate(e, members, now);
        row[item.alias] = output((meta[index] as { type: string }).type, value);
      });
      return row;
    });
  return { meta, data, rows: data.length, rows_before_limit_at_least: data.length };
}
