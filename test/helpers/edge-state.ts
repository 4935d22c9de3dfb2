import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, onTestFinished } from 'vitest';
import type { TestFleet } from './fleet.js';

/** What the rollout tests read back from the local edge: through its API (as any client would) and its stored state. */

export interface EdgeDeployment {
  id: string;
  versions: { version_id: string; percentage: number }[];
  annotations?: Record<string, string>;
}

/** GET on the edge's Cloudflare API; returns `result`. */
export async function apiGet<T>(fleet: TestFleet, path: string): Promise<T> {
  const { info } = fleet.edge;
  const response = await fetch(`${info.apiBaseUrl}/accounts/${info.accountId}${path}`, {
    headers: { authorization: `Bearer ${info.token}` },
  });
  const body = (await response.json()) as { success: boolean; result: T; errors: unknown };
  if (!body.success) throw new Error(`GET ${path}: ${JSON.stringify(body.errors)}`);
  return body.result;
}

export async function deploymentsOf(fleet: TestFleet, worker: string): Promise<EdgeDeployment[]> {
  return (await apiGet<{ deployments: EdgeDeployment[] }>(fleet, `/workers/scripts/${worker}/deployments`)).deployments;
}

/** The version a worker runs now (the biggest share of its newest deployment). */
export async function liveVersion(fleet: TestFleet, worker: string): Promise<string | undefined> {
  const [live] = await deploymentsOf(fleet, worker);
  return [...(live?.versions ?? [])].sort((a, b) => b.percentage - a.percentage)[0]?.version_id;
}

export interface StoredVersion {
  id: string;
  annotations: Record<string, string>;
  main_module: string;
  compatibility_date: string;
  compatibility_flags: string[];
  usage_model: string;
  modules: { name: string; type: string; contentType: string; hash: string; size: number }[];
  bindings: Record<string, unknown>[];
}

export interface StoredScript {
  tags: string[];
  logpush: boolean;
  observability: unknown;
  tail_consumers: unknown;
  placement: unknown;
  subdomain: { enabled: boolean; previews_enabled: boolean };
  versions: StoredVersion[];
}

/** The edge's stored record of a worker and the secret values of each of its versions (the test's own edge, same user). */
export async function storedWorker(
  fleet: TestFleet,
  worker: string,
): Promise<{ script: StoredScript; secrets: Record<string, Record<string, string>> }> {
  const dir = join(fleet.dir, '.mcp-fleet', 'local', 'state', 'scripts', worker);
  return {
    script: JSON.parse(await readFile(join(dir, 'script.json'), 'utf8')) as StoredScript,
    secrets: JSON.parse(await readFile(join(dir, 'secrets.json'), 'utf8')) as Record<string, Record<string, string>>,
  };
}

/**
 * Edits wrangler.jsonc for the current test by replacing the last occurrence of `from` (the
 * template's comments show an example env section first); undone when the test ends.
 */
export async function editConfigForThisTest(fleet: TestFleet, from: string, to: string): Promise<void> {
  const path = join(fleet.dir, 'wrangler.jsonc');
  const replaceLast = (text: string, a: string, b: string) => {
    const at = text.lastIndexOf(a);
    return at === -1 ? text : `${text.slice(0, at)}${b}${text.slice(at + a.length)}`;
  };
  const text = await readFile(path, 'utf8');
  expect(text).toContain(from);
  await writeFile(path, replaceLast(text, from, to));
  onTestFinished(async () => writeFile(path, replaceLast(await readFile(path, 'utf8'), to, from)));
}
