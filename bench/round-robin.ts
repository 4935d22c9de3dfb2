import type { BaselineRun } from './baselines.ts';
import type { EdgeAdmin, RequestLogEntry } from './fleet.ts';
import { describeFailure, type RunResult } from './measure.ts';
import { median, type Side } from './report.ts';

/** Timed operations run in turns, with the API calls of each run counted from the edge's request log. */

const started = performance.now();

/** A progress line on stderr, with the seconds since the bench started. */
export function progress(message: string): void {
  const seconds = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`[${seconds} s] ${message}\n`);
}

/** A measured operation: one run returns its duration and failures. */
export interface Measured {
  label: string;
  runs: number;
  run: () => Promise<BaselineRun>;
  /** Count API requests per client from the edge's log for each run. */
  countApi: boolean;
  /** Runs before each timed run, outside the clock (e.g. changing a source file). */
  before?: (round: number) => Promise<void>;
  /** Counts are per client of these (default: every client of the fleet). */
  clients?: readonly string[];
}

interface ApiCounts {
  perClient: number;
  unattributed: number;
  /** Sum of the edge's answer times (ms) of all API calls of the run. */
  totalMs: number;
}

function countRequests(entries: readonly RequestLogEntry[], clients: readonly string[]): ApiCounts {
  const mine = new Set(clients);
  const perClient = new Map<string, number>(clients.map((client) => [client, 0]));
  let unattributed = 0;
  let totalMs = 0;
  for (const entry of entries) {
    if (entry.path.startsWith('/__edge')) continue;
    totalMs += entry.ms;
    if (entry.script !== null && mine.has(entry.script)) perClient.set(entry.script, (perClient.get(entry.script) ?? 0) + 1);
    else if (entry.script === null) unattributed += 1;
  }
  return { perClient: median([...perClient.values()]) ?? 0, unattributed, totalMs };
}

/**
 * Runs several operations round-robin (a, b, c, a, b, c, …) until each has had its runs, so a
 * change in machine load over time affects every side alike. The edge's request log is cleared
 * before and read after each run.
 */
export async function measureRoundRobin(
  operations: readonly Measured[],
  admin: EdgeAdmin | undefined,
  clients: readonly string[],
): Promise<Side[]> {
  const sides: Side[] = operations.map((op) => ({ label: op.label, samples: [], attempted: 0, failures: [] }));
  const counts: ApiCounts[][] = operations.map(() => []);
  const rounds = Math.max(...operations.map((op) => op.runs));
  for (let round = 0; round < rounds; round += 1) {
    for (const [index, op] of operations.entries()) {
      if (round >= op.runs) continue;
      const side = sides[index]!;
      await op.before?.(round);
      if (admin && op.countApi) await admin.clearRequests();
      progress(`  ${op.label} — run ${round + 1}/${op.runs}`);
      side.attempted += 1;
      let outcome: BaselineRun;
      try {
        outcome = await op.run();
      } catch (error) {
        outcome = { ms: 0, failures: [error instanceof Error ? error.message : String(error)] };
      }
      if (outcome.failures.length === 0) {
        side.samples.push(outcome.ms);
        if (admin && op.countApi) counts[index]!.push(countRequests(await admin.requests(), op.clients ?? clients));
      } else {
        const more = outcome.failures.length > 1 ? ` (and ${outcome.failures.length - 1} more)` : '';
        side.failures.push(`run ${round + 1}: ${outcome.failures[0]}${more}`);
      }
      progress(`    ${outcome.failures.length === 0 ? `${(outcome.ms / 1000).toFixed(2)} s` : 'failed'}`);
    }
  }
  sides.forEach((side, index) => {
    const list = counts[index]!;
    if (list.length > 0) {
      side.apiPerClient = median(list.map((count) => count.perClient));
      side.apiUnattributed = median(list.map((count) => count.unattributed));
      side.apiMs = median(list.map((count) => count.totalMs));
    }
  });
  return sides;
}

export function fromResult(result: RunResult): BaselineRun {
  return { ms: result.ms, failures: result.exitCode === 0 ? [] : [describeFailure(result)] };
}
