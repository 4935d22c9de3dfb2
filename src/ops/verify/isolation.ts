import type { Client } from '../../fleet/fleet.js';
import { describeError } from '../../util/errors.js';
import { keyAccepted } from './auth-probe.js';
import { type CheckResult, type HttpOptions, refusalProblem } from './checks.js';
import type { ClientUrl, WorkerUrlSource } from './client-urls.js';

/**
 * Are two base URLs the same worker URL? Scheme, host and port as URL parsing normalizes them
 * (case, default ports), and the path without trailing slashes.
 */
export function sameBaseUrl(a: string, b: string): boolean {
  let left: URL;
  let right: URL;
  try {
    left = new URL(a);
    right = new URL(b);
  } catch {
    return false;
  }
  const path = (url: URL): string => url.pathname.replace(/\/+$/, '');
  return left.origin === right.origin && path(left) === path(right);
}

/**
 * Could the target have formed this URL? Only then is it worth asking the target (on Cloudflare
 * an API call, and a token) whether it did: a custom domain never can be a workers.dev URL.
 */
function mayBeTargetUrl(url: string, kind: WorkerUrlSource['kind']): boolean {
  if (kind === 'local') return true;
  try {
    return new URL(url).hostname.endsWith('.workers.dev');
  } catch {
    return false;
  }
}

/**
 * The rule for another client's key: it may be presented at `entry.url` only when that is the URL
 * the target itself forms for this client's worker (`ownWorkerUrl`: the account's own workers.dev
 * subdomain, or the local edge). A route, a custom domain or a `--url` can lead to a host the
 * operator does not control end to end, and a key sent there is a key handed out.
 */
export function mayPresentOtherKeys(entry: ClientUrl, ownWorkerUrl: string | undefined): boolean {
  if (entry.source === 'target') return true;
  return ownWorkerUrl !== undefined && sameBaseUrl(entry.url, ownWorkerUrl);
}

/**
 * Why no other client's key may go to this client's URL, or undefined when it may. Asks the target
 * for the worker's own URL only when the URL could be it; a target that cannot answer (no token,
 * say) proves nothing, so the probe is barred then too.
 */
export async function otherKeysBarred(client: Client, entry: ClientUrl, target: WorkerUrlSource): Promise<string | undefined> {
  if (entry.source === 'target') return undefined;
  const own = `${client.name}'s URL on ${target.kind === 'local' ? 'the local edge' : "the account's workers.dev subdomain"}`;
  const from = entry.source === 'override' ? '--url' : 'a route';
  let ownWorkerUrl: string | undefined;
  if (mayBeTargetUrl(entry.url, target.kind)) {
    try {
      ownWorkerUrl = await target.workerUrl(client.workerName);
    } catch (error) {
      return `${entry.url} (from ${from}) could not be confirmed as ${own} (${describeError(error)})`;
    }
  }
  if (mayPresentOtherKeys(entry, ownWorkerUrl)) return undefined;
  return `${entry.url} (from ${from}) is not ${own}`;
}

/** The neighbour whose key the isolation check presents, or why its key must not be sent. */
export type IsolationProbe =
  | { otherClient: string; otherKey: string; barred?: undefined }
  | { otherClient: string; otherKey?: undefined; barred: string };

export interface IsolationCheckOptions extends HttpOptions {
  probe: IsolationProbe;
  /**
   * Other selected clients whose secrets files hold this client's API_KEY (compared locally,
   * never printed). The ring probes one neighbour; this catches every copied key at no cost.
   */
  sharesKeyWith?: readonly string[];
}

function sharingProblem(names: readonly string[]): string {
  return `this client's API_KEY is also in the secrets file${names.length === 1 ? '' : 's'} of ${names.join(', ')}`;
}

/**
 * `isolation`: another client's key must be refused by this client's worker, and no other client
 * may hold this client's key. When the neighbour's key may not be sent to this URL, only the
 * local comparison runs: the check is skipped (with why) unless that comparison already fails.
 */
export async function checkIsolation(url: string, options: IsolationCheckOptions): Promise<CheckResult> {
  const { otherClient } = options.probe;
  const sharing = options.sharesKeyWith ?? [];
  if (options.probe.otherKey === undefined) {
    const why = `${options.probe.barred}, so ${otherClient}'s key is not sent there`;
    if (sharing.length === 0) return { name: 'isolation', ok: true, skipped: true, ms: 0, detail: `not probed: ${why}` };
    return { name: 'isolation', ok: false, ms: 0, detail: `${sharingProblem(sharing)} (${why})` };
  }
  const probe = await keyAccepted(url, options.probe.otherKey, { timeoutMs: options.timeoutMs, label: `with ${otherClient}'s key` });
  const sharedWithProbed = sharing.includes(otherClient);
  if (probe.refused && sharing.length === 0)
    return { name: 'isolation', ok: true, ms: probe.ms, detail: `${otherClient}'s key → ${probe.status}` };
  const problems: string[] = [];
  if (!probe.refused) {
    const consequence = sharedWithProbed
      ? `this client and ${otherClient} have the same API_KEY in their secrets files`
      : `this worker lets ${otherClient} in (shared key, or another client's secrets on this worker)`;
    problems.push(refusalProblem(probe, consequence) ?? probe.detail);
  }
  const unreported = sharing.filter((name) => !(sharedWithProbed && !probe.refused && name === otherClient));
  if (unreported.length > 0) problems.push(sharingProblem(unreported));
  return { name: 'isolation', ok: false, ms: probe.ms, detail: problems.join('; ') };
}
