import type { Client } from '../../fleet/fleet.js';
import { mapWithConcurrency } from '../../util/concurrency.js';
import { type ClientFailure, clientFailure } from './client-failure.js';
import type { ClientPhase, ClientProgress, ProgressListener } from './progress.js';

/** What every per-client result of a fleet operation carries. */
export interface ClientOutcome {
  client: string;
  error?: ClientFailure;
}

export interface ForEachClientOptions<R extends ClientOutcome> {
  clients: readonly Client[];
  concurrency: number;
  onProgress?: ProgressListener | undefined;
  /** The line of a client waiting for its turn (none when undefined). */
  queued?: string;
  /** The result as it stands before any work: what is reported if the work throws at once. */
  start: (client: Client) => R;
  /**
   * One client's work. It fills in `result` as it goes and reports its own working and done
   * lines; whatever it throws fails this client only, and is recorded on `result.error`.
   */
  work: (client: Client, result: R, progress: ClientProgress) => Promise<void>;
  /** How a failure is shown on the client's line (default: failed, with its message). */
  failedLine?: (failure: ClientFailure) => [ClientPhase, string];
}

/**
 * The one fan-out of fleet operations: at most `concurrency` clients at once, every client
 * reported, one client's failure never stopping the others, results in the input's order.
 */
export async function forEachClient<R extends ClientOutcome>(options: ForEachClientOptions<R>): Promise<R[]> {
  const { onProgress } = options;
  if (options.queued !== undefined) for (const client of options.clients) onProgress?.(client.name, 'queued', options.queued);
  const failedLine = options.failedLine ?? ((failure: ClientFailure): [ClientPhase, string] => ['failed', failure.message]);
  const results = options.clients.map((client) => options.start(client));
  await mapWithConcurrency(options.clients, options.concurrency, async (client, index) => {
    const result = results[index] as R;
    const progress: ClientProgress = (phase, detail) => onProgress?.(client.name, phase, detail);
    try {
      await options.work(client, result, progress);
    } catch (error) {
      result.error = clientFailure(error);
      progress(...failedLine(result.error));
    }
  });
  return results;
}
