import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { PushJson, RotateJson, SecretsStatusJson } from '../../src/ui/json/index.js';
import { closeTestFleet, createTestFleet, type EdgeRequest, randomValue, type TestFleet } from '../helpers/fleet.js';

/**
 * push --all and rotate --all while the local edge injects 5xx errors and 429s (with
 * Retry-After). After every run, local files and remote state are compared: each worker's live
 * API_KEY must be in its secrets file or in its pending-rotation record — nothing lost — and
 * re-running converges to "file = worker, nothing pending".
 */

const CLIENTS = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
let fleet: TestFleet;

beforeAll(async () => {
  fleet = await createTestFleet('faults', CLIENTS);
  const deployed = await fleet.cli(['deploy', '--all', '--local', '--no-verify', '--concurrency', '6']);
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.stdout}\n${deployed.stderr}`);
}, 300_000);

afterEach(async () => {
  await fleet.setFaults({ errorRate: 0, throttle: null, failNext: 0, latencyMs: 0 });
});

afterAll(() => closeTestFleet(fleet));

async function pendingValue(client: string): Promise<string | undefined> {
  try {
    const record = JSON.parse(await readFile(join(fleet.dir, '.mcp-fleet', 'backups', client, 'pending-rotation'), 'utf8')) as {
      value: string;
    };
    fleet.leaks.addSecret(record.value, `pending value of ${client}`);
    return record.value;
  } catch {
    return undefined;
  }
}

/** Nothing lost: the worker's live key is the file's, or the pending record's. Returns which. */
async function liveKey(client: string): Promise<'file' | 'pending'> {
  const fileKey = (await fleet.secrets(client)).get('API_KEY') as string;
  const pending = await pendingValue(client);
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (await fleet.accepts(client, fileKey)) return 'file';
    if (pending !== undefined && (await fleet.accepts(client, pending))) return 'pending';
    if (Date.now() > deadline) throw new Error(`${client}: the worker accepts neither the file's key nor a pending one — a key was lost`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Converged: every worker takes its file's key, has exactly the file's secret names, nothing pending. */
async function expectConverged(clients: readonly string[]): Promise<void> {
  for (const client of clients) {
    expect(await pendingValue(client), `${client} has a pending rotation`).toBeUndefined();
    expect(await liveKey(client)).toBe('file');
    expect((await fleet.remoteSecrets(client))?.sort()).toEqual([...(await fleet.secrets(client)).keys()].sort());
  }
}

async function faultCounts(since: number): Promise<{ total: number; errors: number; rateLimited: number }> {
  const entries = await fleet.requests(since);
  return {
    total: entries.length,
    errors: entries.filter((e) => e.fault === 'error').length,
    rateLimited: entries.filter((e) => e.fault === 'rate-limited').length,
  };
}

/** Per script, its requests in order and which were answered with an injected error. */
function faultsByScript(entries: readonly EdgeRequest[]): Record<string, string[]> {
  const byScript: Record<string, string[]> = {};
  for (const entry of entries) {
    const script = entry.script ?? '-';
    byScript[script] = [...(byScript[script] ?? []), `${entry.method} ${entry.path} ${entry.fault ?? 'ok'}`];
  }
  return byScript;
}

describe('with 5xx errors injected', () => {
  test('push --all finishes at a 30% error rate, with every new value live', async () => {
    const keys = new Map<string, string>();
    for (const client of CLIENTS) {
      const key = randomValue(`push-${client}`);
      keys.set(client, key);
      await fleet.setSecret(client, 'API_KEY', key);
    }
    // The edge's errors are scripted per request (see faults.ts): this run meets the same ones every time.
    await fleet.setFaults({ errorRate: 0.3 });
    const since = await fleet.lastSeq();
    const result = await fleet.cliJson<PushJson>(['secrets', 'push', '--all', '--local']);
    const counts = await faultCounts(since);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(counts.errors).toBeGreaterThan(0);
    console.log(
      `[faults] push --all at 30% errors: ${counts.total} requests for ${CLIENTS.length} clients (${counts.errors} injected errors, retried)`,
    );
    // Nothing was left to chance: the same push under the same rate meets the same errors, request for request.
    await fleet.setFaults({ errorRate: 0.3 });
    const replaySince = await fleet.lastSeq();
    const replay = await fleet.cliJson<PushJson>(['secrets', 'push', '--all', '--local']);
    expect(replay.exitCode, replay.stderr).toBe(0);
    const first = (await fleet.requests(since)).filter((entry) => entry.seq <= replaySince);
    expect(faultsByScript(await fleet.requests(replaySince))).toEqual(faultsByScript(first));
    await fleet.setFaults({ errorRate: 0 });
    for (const client of CLIENTS) expect(await fleet.eventuallyAccepts(client, keys.get(client) as string)).toBe(true);
    await expectConverged(CLIENTS);
  });

  test('rotate --all with few retries fails some clients cleanly, loses nothing, and converges on re-run', async () => {
    await fleet.setFaults({ errorRate: 0.5 });
    const env = { MCP_FLEET_API_ATTEMPTS: '2' };
    let pending = [...CLIENTS];
    let runs = 0;
    const failuresSeen: string[] = [];
    while (pending.length > 0 && runs < 10) {
      runs++;
      const result = await fleet.cliJson<RotateJson>(['secrets', 'rotate', ...pending, '--local'], { env });
      expect([0, 1]).toContain(result.exitCode);
      for (const client of result.json.clients) {
        if (!client.ok) {
          failuresSeen.push(client.error?.message ?? '');
          // A failed push says where the live value is and how to finish.
          expect(client.error?.message).toMatch(/nothing changed|the worker has/);
        }
      }
      // After every run, for every client: the live key is in the file or in the pending record.
      for (const client of CLIENTS) await liveKey(client);
      pending = result.json.clients.filter((c) => !c.ok).map((c) => c.client);
    }
    expect(pending).toEqual([]);
    console.log(
      `[faults] rotate at 50% errors with 2 attempts: converged after ${runs} run(s), ${failuresSeen.length} client failure(s) on the way`,
    );
    await fleet.setFaults({ errorRate: 0 });
    await expectConverged(CLIENTS);
  });

  test('deterministic: the first 4 API answers fail, one at a time, with 2 attempts each: 2 clients fail, re-run finishes them', async () => {
    const before = new Map(await Promise.all(CLIENTS.map(async (c) => [c, (await fleet.secrets(c)).get('API_KEY') as string] as const)));
    await fleet.setFaults({ failNext: 4 });
    const env = { MCP_FLEET_API_ATTEMPTS: '2' };
    const first = await fleet.cliJson<RotateJson>(['secrets', 'rotate', '--all', '--local', '--concurrency', '1'], { env });
    expect(first.exitCode).toBe(1);
    const failed = first.json.clients.filter((c) => !c.ok).map((c) => c.client);
    expect(failed).toEqual(['c1', 'c2']);
    for (const client of CLIENTS) expect(await liveKey(client)).toBe('file');
    for (const client of failed) {
      // The push never got through: the old key is still live and in the file; the new one waits in the record.
      expect((await fleet.secrets(client)).get('API_KEY')).toBe(before.get(client));
      expect(await pendingValue(client)).toBeDefined();
    }
    const second = await fleet.cliJson<RotateJson>(['secrets', 'rotate', ...failed, '--local'], { env });
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.json.clients.map((c) => [c.client, c.resumed])).toEqual([
      ['c1', true],
      ['c2', true],
    ]);
    for (const client of CLIENTS) expect(await fleet.refuses(client, before.get(client) as string)).toBe(true);
    await expectConverged(CLIENTS);
  });

  test('a push that cannot get through keeps the live key and says which it is; re-running finishes', async () => {
    const oldKey = (await fleet.secrets('c1')).get('API_KEY') as string;
    await fleet.setFaults({ errorRate: 1 });
    const failed = await fleet.cliJson<RotateJson>(['secrets', 'rotate', 'c1', '--local'], { env: { MCP_FLEET_API_ATTEMPTS: '2' } });
    expect(failed.exitCode).toBe(1);
    const message = failed.json.clients[0]?.error?.message ?? '';
    expect(message).toContain('the worker has the previous API_KEY (in .secrets.c1)');
    expect(failed.json.clients[0]?.error?.hint).toMatch(/Re-run .*mcp-fleet(\.js)? secrets rotate c1 --local/);
    expect((await fleet.secrets('c1')).get('API_KEY')).toBe(oldKey);
    expect(await pendingValue('c1')).toBeDefined();
    expect(await liveKey('c1')).toBe('file');

    await fleet.setFaults({ errorRate: 0 });
    const finished = await fleet.cliJson<RotateJson>(['secrets', 'rotate', 'c1', '--local']);
    expect(finished.exitCode, finished.stderr).toBe(0);
    expect(finished.json.clients[0]).toMatchObject({ ok: true, resumed: true, reached: 'proven' });
    expect(await fleet.refuses('c1', oldKey)).toBe(true);
    await expectConverged(['c1']);
  });

  test('secrets status answers through the errors', async () => {
    await fleet.setFaults({ errorRate: 0.3 });
    const result = await fleet.cliJson<SecretsStatusJson>(['secrets', 'status', '--all', '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
  });
});

describe('with a rate limit (429 + Retry-After)', () => {
  test('push --all and rotate --all wait out the 429s and finish', async () => {
    await fleet.setFaults({ throttle: { limit: 4, windowSeconds: 2 } });
    const since = await fleet.lastSeq();
    const started = Date.now();
    const push = await fleet.cliJson<PushJson>(['secrets', 'push', '--all', '--local']);
    expect(push.exitCode, push.stderr).toBe(0);
    const rotate = await fleet.cliJson<RotateJson>(['secrets', 'rotate', '--all', '--local']);
    expect(rotate.exitCode, rotate.stderr).toBe(0);
    const counts = await faultCounts(since);
    expect(counts.rateLimited).toBeGreaterThan(0);
    console.log(
      `[faults] push --all + rotate --all under a 4/2s limit: ${counts.total} requests, ${counts.rateLimited} answered 429, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    await fleet.setFaults({ throttle: null });
    await expectConverged(CLIENTS);
  });

  test('with the pacer set below the limit, no request is ever refused', async () => {
    await fleet.setFaults({ throttle: { limit: 4, windowSeconds: 2 } });
    const since = await fleet.lastSeq();
    const started = Date.now();
    const push = await fleet.cliJson<PushJson>(['secrets', 'push', '--all', '--local'], { env: { MCP_FLEET_RATE_LIMIT: '4/2.2' } });
    const elapsed = Date.now() - started;
    expect(push.exitCode, push.stderr).toBe(0);
    const counts = await faultCounts(since);
    expect(counts).toMatchObject({ total: CLIENTS.length, rateLimited: 0 });
    // 6 requests at 4 per 2.2 s: the pacer held the last two back for one window.
    expect(elapsed).toBeGreaterThanOrEqual(2_000);
    console.log(
      `[faults] push --all paced at 4/2.2s under a 4/2s limit: ${counts.total} requests, 0 refused, ${(elapsed / 1000).toFixed(1)} s`,
    );
  });

  test('a bad MCP_FLEET_RATE_LIMIT or --rate-limit is bad usage (exit 2)', async () => {
    expect((await fleet.cli(['secrets', 'push', '--all', '--local'], { env: { MCP_FLEET_RATE_LIMIT: 'lots' } })).exitCode).toBe(2);
    expect((await fleet.cli(['secrets', 'push', '--all', '--local', '--rate-limit', '0/10'])).exitCode).toBe(2);
  });
});

describe('no leaks', () => {
  test('no secret value appears in any output, log file or child argv', async () => {
    const { corpus, leaks } = await fleet.leaks.findLeaks();
    expect(corpus.secrets).toBeGreaterThanOrEqual(CLIENTS.length * 2);
    expect(leaks).toEqual([]);
  });
});
