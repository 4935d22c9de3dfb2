/**
 * A deliberately narrow parser for the Analytics Engine SQL the local edge answers: the shape of
 * query mcp-fleet sends (src/ops/metrics/sql.ts), which is also valid on Cloudflare. Anything else
 * — another function, a JOIN, ORDER BY, a subquery — is refused with the position it stopped at,
 * so a query that passes here is not silently answered wrong.
 *
 *   SELECT item [, item]* FROM dataset [WHERE cond] [GROUP BY name [, name]*] [FORMAT JSON] [;]
 *   item  := column AS name | SUM(column) AS name | count() AS name
 *          | sumIf(column, cond) AS name | quantileWeighted(level, column, column) AS name
 *   cond  := comparison [AND comparison]*        comparison := value (= != <> < <= > >=) value
 *   value := column | number | 'string' | NOW() [- INTERVAL 'n' SECOND|MINUTE|HOUR|DAY]
 */

export type ColumnType = 'datetime' | 'number' | 'string';
export type Operator = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type Value =
  | { kind: 'column'; name: string; type: ColumnType }
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  /** NOW() minus `seconds`. */
  | { kind: 'now'; seconds: number };

export interface Comparison {
  left: Value;
  op: Operator;
  right: Value;
}

export type Expression =
  | { kind: 'column'; name: string; type: ColumnType }
  | { kind: 'sum'; column: string }
  | { kind: 'count' }
  | { kind: 'sumIf'; column: string; where: Comparison[] }
  | { kind: 'quantile'; level: number; column: string; weight: string };

export interface SelectItem {
  expression: Expression;
  alias: string;
}

export interface AnalyticsQueryAst {
  items: SelectItem[];
  dataset: string;
  where: Comparison[];
  groupBy: string[];
}

export class SqlError extends Error {}

/** Columns of every Analytics Engine dataset. */
export function columnType(name: string): ColumnType | undefined {
  if (name === 'timestamp') return 'datetime';
  if (name === '_sample_interval') return 'number';
  if (name === 'dataset' || name === 'index1') return 'string';
  const match = /^(blob|double)([1-9]|1\d|20)$/.exec(name);
  if (!match) return undefined;
  return match[1] === 'blob' ? 'string' : 'number';
}

type Token = { kind: 'word' | 'number' | 'string' | 'symbol'; text: string; at: number };

const UNIT_SECONDS: Readonly<Record<string, number>> = { SECOND: 1, MINUTE: 60, HOUR: 3600, DAY: 86_400 };

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s+|([A-Za-z_][A-Za-z0-9_]*)|(\d+(?:\.\d+)?)|'((?:[^'\\]|\\.)*)'|(>=|<=|!=|<>|[=<>(),;*-])/y;
  let at = 0;
  while (at < sql.length) {
    pattern.lastIndex = at;
    const m = pattern.exec(sql);
    if (!m) throw new SqlError(`unexpected character ${JSON.stringify(sql[at])} at position ${at + 1}`);
    if (m[1] !== undefined) tokens.push({ kind: 'word', text: m[1], at });
    else if (m[2] !== undefined) tokens.push({ kind: 'number', text: m[2], at });
    else if (m[3] !== undefined) tokens.push({ kind: 'string', text: m[3].replace(/\\(.)/g, '$1'), at });
    else if (m[4] !== undefined) tokens.push({ kind: 'symbol', text: m[4] === '<>' ? '!=' : m[4], at });
    at = pattern.lastIndex;
  }
  return tokens;
}

export function parseAnalyticsSql(sql: string): AnalyticsQueryAst {
  const tokens = tokenize(sql);
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const where = (token: Token | undefined) => (token ? `"${token.text}" at position ${token.at + 1}` : 'the end of the query');
  const fail = (expected: string): never => {
    throw new SqlError(`expected ${expected}, found ${where(peek())}`);
  };
  const isWord = (word: string, token = peek()) => token?.kind === 'word' && token.text.toUpperCase() === word;
  const isSymbol = (symbol: string, token = peek()) => token?.kind === 'symbol' && token.text === symbol;
  const keyword = (word: string) => (isWord(word) ? void i++ : fail(word));
  const symbol = (s: string) => (isSymbol(s) ? void i++ : fail(`"${s}"`));
  const name = (what: string): string => {
    const token = peek();
    if (token?.kind !== 'word') return fail(what);
    i++;
    return token.text;
  };
  const column = (): { name: string; type: ColumnType } => {
    const at = peek();
    const n = name('a column');
    const type = columnType(n);
    if (!type) throw new SqlError(`unknown column "${n}" at position ${(at?.at ?? 0) + 1}`);
    return { name: n, type };
  };
  const numberLiteral = (): number => {
    const token = peek();
    if (token?.kind !== 'number') return fail('a number');
    i++;
    return Number(token.text);
  };
  const value = (): Value => {
    const token = peek();
    if (token?.kind === 'number') return { kind: 'number', value: numberLiteral() };
    if (token?.kind === 'string') {
      i++;
      return { kind: 'string', value: token.text };
    }
    if (isWord('NOW')) {
      i++;
      symbol('(');
      symbol(')');
      if (!isSymbol('-')) return { kind: 'now', seconds: 0 };
      i++;
      keyword('INTERVAL');
      const amount = peek();
      if (amount?.kind !== 'string' || !/^\d+$/.test(amount.text)) return fail("an interval such as '1'");
      i++;
      const unit = name('SECOND, MINUTE, HOUR or DAY').toUpperCase();
      const seconds = UNIT_SECONDS[unit];
      if (seconds === undefined) throw new SqlError(`unsupported interval unit ${unit}`);
      return { kind: 'now', seconds: Number(amount.text) * seconds };
    }
    return { kind: 'column', ...column() };
  };
  const condition = (): Comparison[] => {
    const comparisons: Comparison[] = [];
    for (;;) {
      const left = value();
      const op = peek();
      if (op?.kind !== 'symbol' || !['=', '!=', '<', '<=', '>', '>='].includes(op.text)) return fail('a comparison');
      i++;
      const right = value();
      if (typeOf(left) !== typeOf(right))
        throw new SqlError(`cannot compare ${typeOf(left)} with ${typeOf(right)} at position ${op.at + 1}`);
      comparisons.push({ left, op: op.text as Operator, right });
      if (!isWord('AND')) return comparisons;
      i++;
    }
  };
  const expression = (): Expression => {
    const token = peek();
    const call = token?.kind === 'word' && isSymbol('(', tokens[i + 1]) ? token.text.toLowerCase() : undefined;
    if (call === undefined) return { kind: 'column', ...column() };
    i += 2;
    let result: Expression;
    if (call === 'sum') result = { kind: 'sum', column: numeric(column()) };
    else if (call === 'count') result = { kind: 'count' };
    else if (call === 'sumif') {
      const summed = numeric(column());
      symbol(',');
      result = { kind: 'sumIf', column: summed, where: condition() };
    } else if (call === 'quantileweighted') {
      const level = numberLiteral();
      if (level < 0 || level > 1) throw new SqlError(`quantile level ${level} is not between 0 and 1`);
      symbol(',');
      const of = numeric(column());
      symbol(',');
      result = { kind: 'quantile', level, column: of, weight: numeric(column()) };
    } else throw new SqlError(`unsupported function ${token?.text} at position ${(token?.at ?? 0) + 1}`);
    symbol(')');
    return result;
  };

  keyword('SELECT');
  const items: SelectItem[] = [];
  do {
    if (items.length > 0) i++;
    const expr = expression();
    keyword('AS');
    items.push({ expression: expr, alias: name('an alias') });
  } while (isSymbol(','));
  keyword('FROM');
  const dataset = name('a dataset');
  let filter: Comparison[] = [];
  if (isWord('WHERE')) {
    i++;
    filter = condition();
  }
  const groupBy: string[] = [];
  if (isWord('GROUP')) {
    i++;
    keyword('BY');
    do {
      if (groupBy.length > 0) i++;
      groupBy.push(name('a GROUP BY name'));
    } while (isSymbol(','));
  }
  if (isWord('FORMAT')) {
    i++;
    keyword('JSON');
  }
  if (isSymbol(';')) i++;
  if (i < tokens.length) fail('the end of the query');
  return { items, dataset, where: filter, groupBy };
}

function typeOf(value: Value): ColumnType {
  if (value.kind === 'column') return value.type;
  if (value.kind === 'now') return 'datetime';
  return value.kind;
}

function numeric(col: { name: string; type: ColumnType }): string {
  if (col.type !== 'number') throw new SqlError(`column ${col.name} is not numeric`);
  return col.name;
}
