import type { TailApi, TailConnection } from '../../cloudflare/tail.js';
import type { Client } from '../../fleet/fleet.js';
import { FleetError } from '../../util/errors.js';
import { commandLine } from '../../util/next-step.js';
import { TAIL_RECONNECT_BACKOFF_MS } from '../fleet/defaults.js';
import type { ProgressListener } from '../fleet/progress.js';
import { type ClientOutcome, forEachClient } from '../fleet/runner.js';
import { parseTailMessage, type TailEvent } from './events.js';

/**
 * `logs`: one live tail per client, all at once, until the signal stops them (Ctrl-C) or, without
 * `follow`, a tail is closed by Cloudflare (it expires, or the worker is deleted). With `follow` a
 * tail that closes is opened again, after a backoff when it failed to open. Every tail this opens is
 * deleted again before the client's work ends — also when it failed, and when it was stopped —
 * so none is left running on the account. API calls: 2 per tail (create, delete).
 */

export interface ClientLogs extends ClientOutcome {
  client: string;
  worker: string;
  events: number;
  /** Tails opened (more than 1 after reconnects). */
  tails: number;
  /** Tails whose deletion failed (they expire on their own). */
  leftOpen: number;
  /** How the stream ended: stopped (Ctrl-C), or closed by Cloudflare. */
  ended: 'stopped' | 'closed' | undefined;
}

export interface LogsOptions {
  clients: readonly Client[];
  tails: TailApi;
  connect: (url: string, onMessage: (text: string) => void) => Promise<TailConnection>;
  follow: boolean;
  /** Aborted on Ctrl-C: every tail is closed and deleted, and the promise resolves. */
  signal: AbortSignal;
  onEvent: (event: TailEvent) => void;
  onProgress?: ProgressListener | undefined;
  backoffMs?: readonly number[];
}

export function streamLogs(options: LogsOptions): Promise<ClientLogs[]> {
  return forEachClient<ClientLogs>({
    clients: options.clients,
    // Every client streams for the whole run, so every one runs at once.
    concurrency: Math.max(1, options.clients.length),
    onProgress: options.onProgress,
    start: (client) => ({ client: client.name, worker: client.workerName, events: 0, tails: 0, leftOpen: 0, ended: undefined }),
    work: (client, result, progress) => followClient(client, result, options, progress),
  });
}

async function followClient(
  client: Client,
  result: ClientLogs,
  options: LogsOptions,
  progress: (phase: 'working' | 'done', detail: string) => void,
): Promise<void> {
  const { signal } = options;
  const backoff = options.backoffMs ?? TAIL_RECONNECT_BACKOFF_MS;
  let failures = 0;
  while (!signal.aborted) {
    progress('working', result.tails === 0 ? 'opening a tail' : 'opening the tail again');
    const outcome = await oneTail(client, result, options, progress);
    if (outcome.kind === 'stopped' || signal.aborted) break;
    if (outcome.kind === 'closed' && !options.follow) {
      result.ended = 'closed';
      refuseLeftOpen(client, result);
      progress('done', `the tail was closed by Cloudflare (code ${outcome.code})`);
      return;
    }
    // --follow: open a new tail. One that would not open, or closed soon after opening, counts as a
    // failure and waits longer each time (never a tight loop of API calls); one that lived, as after
    // its expiry, is replaced at once.
    const failed = outcome.kind === 'failed' || outcome.openMs < STABLE_MS;
    failures = failed ? failures + 1 : 0;
    if (outcome.kind === 'failed' && !options.follow) throw outcome.error;
    if (failures > backoff.length) {
      throw outcome.kind === 'failed' ? outcome.error : new FleetError(`the tail of worker ${client.workerName} keeps closing`);
    }
    if (failures > 0) {
      progress('working', `${outcome.kind === 'failed' ? outcome.error.message : 'the tail closed'}; trying again`);
      await sleep(backoff[failures - 1] as number, signal);
    }
  }
  result.ended = 'stopped';
  refuseLeftOpen(client, result);
  progress('done', `stopped after ${result.events} event${result.events === 1 ? '' : 's'}`);
}

/** A tail that could not be deleted fails the client: the promise was to leave none open. */
function refuseLeftOpen(client: Client, result: ClientLogs): void {
  if (result.leftOpen === 0) return;
  throw new FleetError(`${result.leftOpen} tail(s) of worker ${client.workerName} could not be deleted`, {
    hint: 'Cloudflare ends a tail on its own when it expires (within hours).',
  });
}

type TailOutcome = { kind: 'stopped' } | { kind: 'closed'; code: number; openMs: number } | { kind: 'failed'; error: FleetError };

/** A tail that stayed open this long closed for a reason of its own (it expired), not because it cannot stay open. */
const STABLE_MS = 10_000;

/** Creates a tail, streams it until it closes or the signal fires, and deletes it whatever happened. */
async function oneTail(
  client: Client,
  result: ClientLogs,
  options: LogsOptions,
  progress: (phase: 'working', detail: string) => void,
): Promise<TailOutcome> {
  const { signal } = options;
  let record: Awaited<ReturnType<TailApi['create']>>;
  try {
    record = await options.tails.create(client.workerName);
  } catch (error) {
    return { kind: 'failed', error: asFleetError(error) };
  }
  if (record === 'missing') {
    throw new FleetError(`worker ${client.workerName} does not exist`, { hint: `Deploy it first: ${commandLine('deploy', client.name)}` });
  }
  result.tails += 1;
  let connection: TailConnection | undefined;
  try {
    connection = await options.connect(record.url, (text) => {
      for (const event of parseTailMessage(text, client.name, client.workerName)) {
        result.events += 1;
        options.onEvent(event);
      }
    });
    if (signal.aborted) return { kind: 'stopped' };
    progress('working', 'streaming');
    const opened = Date.now();
    let onAbort = () => {};
    const stopped = new Promise<'stopped'>((resolve) => {
      onAbort = () => resolve('stopped');
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const ended = await Promise.race([connection.closed, stopped]).finally(() => signal.removeEventListener('abort', onAbort));
    return ended === 'stopped' ? { kind: 'stopped' } : { kind: 'closed', code: ended.code, openMs: Date.now() - opened };
  } catch (error) {
    return { kind: 'failed', error: asFleetError(error) };
  } finally {
    connection?.close();
    // Not tied to the signal: after Ctrl-C the tail must still be deleted.
    await options.tails.remove(client.workerName, record.id).catch(() => {
      result.leftOpen += 1;
    });
  }
}

function asFleetError(error: unknown): FleetError {
  return error instanceof FleetError ? error : new FleetError(error instanceof Error ? error.message : String(error));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
