import type { AnalyticsQuery } from '../../../cloudflare/analytics-sql.js';
import type { Client } from '../../../fleet/fleet.js';
import { type Clock, systemClock } from '../../../util/clock.js';
import { mapWithConcurrency } from '../../../util/concurrency.js';
import { formatDuration } from '../../../util/duration.js';
import { clientFailure } from '../../fleet/client-failure.js';
import type { BakeLimits } from './bake-limits.js';
import { bakeSql, readBakeRow } from './bake-sql.js';
import { type BakeJudgement, describeFigures, errorRateOf, judgeBake } from './judge.js';

/**
 * Holds a wave that passed its checks while its new versions serve real traffic, reading each
 * client's figures for its new version at a quarter, half, three quarters and the end of the bake:
 * at most 4 Analytics Engine queries per client and wave. The first breach (once a client has the
 * minimum number of requests) ends the bake for the whole wave at once: the wave rolls back, so
 * waiting longer would only serve the bad version longer.
 */

export interface BakeEntry {
  client: Client;
  /** The version the wave deployed; undefined when the config binds no version_metadata (then all traffic is read). */
  versionId: string | undefined;
}

export interface BakeWaveOptions {
  entries: readonly BakeEntry[];
  limits: BakeLimits;
  query: AnalyticsQuery;
  /** When the wave went live (ms): the figures cover the time since. */
  liveSince: number;
  clock?: Clock;
  onProgress?: ((client: string, detail: string) => void) | undefined;
}

export const BAKE_CHECKPOINTS = 4;

export async function bakeWave(options: BakeWaveOptions): Promise<Map<string, BakeJudgement>> {
  const clock = options.clock ?? systemClock;
  const { limits, entries } = options;
  const started = clock.now();
  const judged = new Map<string, BakeJudgement>();
  const last = new Map<string, BakeJudgement>();
  for (let checkpoint = 1; checkpoint <= BAKE_CHECKPOINTS; checkpoint++) {
    const due = started + (limits.seconds * 1000 * checkpoint) / BAKE_CHECKPOINTS;
    await clock.sleep(due - clock.now());
    const final = checkpoint === BAKE_CHECKPOINTS;
    await mapWithConcurrency(entries, 8, async (entry) => {
      const name = entry.client.name;
      const dataset = entry.client.dataset as string;
      try {
        const rows = await options.query(
          bakeSql(dataset, entry.versionId, (clock.now() - options.liveSince) / 1000 + 5),
          `reading ${dataset} of ${name} for the bake`,
        );
        const figures = readBakeRow(rows);
        const judgement = judgeBake(figures, limits, final);
        const rate = errorRateOf(figures);
        last.set(name, judgement ?? { verdict: 'cut-short', figures, errorRate: rate, detail: describeFigures(figures, rate) });
        if (judgement) judged.set(name, judgement);
        else
          options.onProgress?.(
            name,
            `baking ${formatDuration(limits.seconds)}, ${checkpoint}/${BAKE_CHECKPOINTS}: ${describeFigures(figures, rate)}`,
          );
      } catch (error) {
        // A read that failed before the end is tried again at the next checkpoint.
        if (final) {
          judged.set(name, {
            verdict: 'unreadable',
            figures: undefined,
            errorRate: undefined,
            detail: `could not read its metrics: ${clientFailure(error).message}`,
          });
        }
      }
    });
    if ([...judged.values()].some((judgement) => judgement.verdict === 'breach')) {
      // The wave rolls back: the others' standing so far is what the report shows.
      for (const entry of entries) {
        const name = entry.client.name;
        if (judged.has(name)) continue;
        const so = last.get(name);
        judged.set(name, {
          verdict: 'cut-short',
          figures: so?.figures,
          errorRate: so?.errorRate,
          detail: `not judged: the bake ended at another client's breach${so ? ` (so far ${so.detail})` : ''}`,
        });
      }
      break;
    }
    if (judged.size === entries.length) break;
  }
  return judged;
}
