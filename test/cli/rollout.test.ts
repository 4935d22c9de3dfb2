import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import type { DeployClientJson, DeployJson, DeployPlanJson } from '../../src/ui/json/index.js';
import type { CliResult } from '../helpers/cli.js';
import { apiGet, deploymentsOf, editConfigForThisTest, liveVersion } from '../helpers/edge-state.js';
import { callsPerScript, closeTestFleet, createTestFleet, type EdgeRequest, type TestFleet } from '../helpers/fleet.js';

/**
 * `mcp-fleet deploy` as a progressive rollout, through the built binary against one local edge:
 * waves, API calls per client from the edge's request log, annotations, --plan, a canary that fails
 * verification (rolled back, the rest untouched), and convergence under injected 5xx. Tests run in
 * any order: each deploys what it needs and leaves every worker serving its client.
 */

const CLIENTS = ['acme', 'beta', 'gamma', 'delta', 'echo'];
let fleet: TestFleet;
let firstDeploy: { result: CliResult & { json: DeployJson }; calls: EdgeRequest[] };

beforeAll(async () => {
  fleet = await createTestFleet('rollout', CLIENTS);
  const since = await fleet.lastSeq();
  const result = await fleet.cliJson<DeployJson>(['deploy', '--all', '--local']);
  firstDeploy = { result, calls: await fleet.requests(since) };
}, 300_000);

afterAll(() => closeTestFleet(fleet));

async function deployAll(args: string[] = []): Promise<{ result: CliResult & { json: DeployJson }; calls: EdgeRequest[] }> {
  const since = await fleet.lastSeq();
  const result = await fleet.cliJson<DeployJson>(['deploy', '--all', '--local', ...args]);
  return { result, calls: await fleet.requests(since) };
}

describe('rollout', () => {
  test('the first deploy: one build, a canary then growing waves, every new worker verified with 2 API calls', async () => {
    const { result, calls } = firstDeploy;
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.clients.map((c) => [c.client, c.outcome, c.verify?.ok])).toEqual(CLIENTS.map((c) => [c, 'deployed', true]));
    // Five clients, waves 1, 10%, 50%, 100%: a canary of one, then two, then two.
    expect(result.json.clients.map((c) => c.plan.wave)).toEqual([1, 2, 2, 3, 3]);
    expect(new Set(result.json.clients.map((c) => c.bundleHash)).size).toBe(1);
    expect(result.json.clients.every((c) => c.plan.newWorker && c.plan.method === 'api')).toBe(true);
    const perClient = callsPerScript(calls);
    for (const client of CLIENTS) expect(perClient.get(client), client).toBeLessThanOrEqual(3);
    expect(perClient.get('(account)') ?? 0).toBeLessThanOrEqual(1);
    console.log(
      `[api calls] rollout, new workers: ${CLIENTS.map((c) => `${c}=${perClient.get(c)}`).join(' ')}; account-level ${perClient.get('(account)') ?? 0}`,
    );
    // One line per wave on stderr, and each client's own line.
    expect(result.stderr).toMatch(/wave 1\s+of 3 · 1 client: 1 deployed, 1 verified/);
    expect(result.stderr).toMatch(/wave 3\s+of 3 · 2 clients: 2 deployed, 2 verified/);
    // The canary was verified before the second wave started.
    const canaryVerified = result.stderr.indexOf('wave 1  of 3 · 1 client: 1 deployed, 1 verified');
    expect(canaryVerified).toBeGreaterThan(-1);
    expect(result.stderr.indexOf('wave 2  of 3')).toBeGreaterThan(canaryVerified);
  });

  test('a redeploy makes 2 API calls per existing worker; versions name the bundle and mcp-fleet', async () => {
    const { result, calls } = await deployAll();
    expect(result.exitCode, result.stderr).toBe(0);
    const perClient = callsPerScript(calls);
    for (const client of CLIENTS) expect(perClient.get(client), client).toBeLessThanOrEqual(2);
    console.log(`[api calls] rollout, existing workers: ${CLIENTS.map((c) => `${c}=${perClient.get(c)}`).join(' ')}`);
    const acme = result.json.clients[0] as DeployClientJson;
    const version = await apiGet<{ annotations: Record<string, string> }>(fleet, `/workers/scripts/acme/versions/${acme.versionId}`);
    expect(version.annotations['workers/message']).toBe(`mcp-fleet 0.1.0 bundle sha256:${acme.bundleHash}`);
    expect(version.annotations['workers/tag']).toBe(`bundle-${acme.bundleHash?.slice(0, 16)}`);
    expect(await liveVersion(fleet, 'acme')).toBe(acme.versionId);
  });

  test('build once across runs: unchanged sources reuse the bundle, a changed file is built again', async () => {
    const same = await deployAll(['--all-at-once']);
    expect(same.result.exitCode, same.result.stderr).toBe(0);
    expect(same.result.json.clients.every((c) => c.bundleReused)).toBe(true);
    expect(same.result.stderr).toContain('1 build (reused: sources unchanged)');
    const source = join(fleet.dir, 'src', 'tools.ts');
    const original = await readFile(source, 'utf8');
    onTestFinished(() => writeFile(source, original));
    await writeFile(source, `${original}\n// a change\n`);
    const changed = await deployAll(['--all-at-once']);
    expect(changed.result.exitCode, changed.result.stderr).toBe(0);
    expect(changed.result.json.clients.every((c) => c.bundleReused === false)).toBe(true);
    expect(changed.result.json.clients[0]?.bundleHash).not.toBe(same.result.json.clients[0]?.bundleHash);
  });

  test('deploy --plan says what would happen and makes no write call', async () => {
    const since = await fleet.lastSeq();
    const plan = await fleet.cliJson<DeployPlanJson>(['deploy', '--all', '--local', '--plan', '--canary', 'echo']);
    expect(plan.exitCode, plan.stderr).toBe(0);
    expect(plan.json.plan).toMatchObject({ builds: 1, waves: [1, 2, 2], apiCalls: 1 + 2 * CLIENTS.length });
    expect(plan.json.clients.map((c) => [c.newWorker, c.method, c.apiCalls])).toEqual(CLIENTS.map(() => [false, 'api', 2]));
    expect(plan.json.clients.find((c) => c.client === 'echo')?.wave).toBe(1);
    expect(plan.stderr).toMatch(/WORKER\s+METHOD\s+BUILD\s+WAVE\s+API CALLS/);
    const calls = await fleet.requests(since);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.filter((c) => c.method !== 'GET')).toEqual([]);
  });

  test('a canary that fails verification halts the rollout: it goes back, nobody else is touched', async () => {
    // Make sure every worker runs this codebase's current version, then remember every deployment.
    expect((await deployAll(['--all-at-once'])).result.exitCode).toBe(0);
    const before = new Map(await Promise.all(CLIENTS.map(async (c) => [c, (await deploymentsOf(fleet, c))[0]?.id] as const)));
    const acmeBefore = await liveVersion(fleet, 'acme');
    // acme's upstream cannot be reached, so its /ready answers 503.
    await editConfigForThisTest(fleet, '"CLIENT_ID": "acme"', '"CLIENT_ID": "acme", "UPSTREAM_URL": "https://upstream.invalid/"');

    const { result } = await deployAll();
    expect(result.exitCode).toBe(1);
    const acme = result.json.clients.find((c) => c.client === 'acme') as DeployClientJson;
    expect(acme.outcome).toBe('rolled-back');
    expect(acme.verify?.ok).toBe(false);
    expect(acme.verify?.detail).toMatch(/ready/);
    expect(acme.versionId).toBe(acmeBefore);
    expect(acme.deployedVersionId).not.toBe(acmeBefore);
    expect(acme.why).toMatch(/verification failed .*back on/);
    expect(await liveVersion(fleet, 'acme')).toBe(acmeBefore);
    for (const client of CLIENTS.filter((c) => c !== 'acme')) {
      const entry = result.json.clients.find((c) => c.client === client) as DeployClientJson;
      expect(entry.outcome, client).toBe('not-started');
      expect((await deploymentsOf(fleet, client))[0]?.id, client).toBe(before.get(client));
    }
    expect(result.stderr).toMatch(/wave 2\s+.*not started/);
    const key = (await fleet.secrets('acme')).get('API_KEY') as string;
    expect(await fleet.accepts('acme', key)).toBe(true);
  });

  test('with --no-rollback a failing wave stays on the new version, and the rollout still halts', async () => {
    // Registered first, so it runs after the config is restored: beta is left on working code for the other tests.
    onTestFinished(async () => {
      const fixed = await fleet.cli(['deploy', 'beta', '--local']);
      expect(fixed.exitCode, fixed.stderr).toBe(0);
    });
    await editConfigForThisTest(fleet, '"CLIENT_ID": "beta"', '"CLIENT_ID": "beta", "UPSTREAM_URL": "https://upstream.invalid/"');
    const { result } = await deployAll(['--canary', 'beta', '--no-rollback']);
    expect(result.exitCode).toBe(1);
    const beta = result.json.clients.find((c) => c.client === 'beta') as DeployClientJson;
    expect(beta.outcome).toBe('kept');
    expect(await liveVersion(fleet, 'beta')).toBe(beta.deployedVersionId);
    expect(result.json.clients.filter((c) => c.client !== 'beta').every((c) => c.outcome === 'not-started')).toBe(true);
  });

  test('under 30% injected 5xx every client still converges, with zero 429s', async () => {
    // The edge's errors are scripted per request (see faults.ts): this rollout meets the same ones every time.
    await fleet.setFaults({ errorRate: 0.3 });
    onTestFinished(() => fleet.setFaults({ errorRate: 0, failNext: 0 }));
    const { result, calls } = await deployAll();
    await fleet.setFaults({ errorRate: 0 });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.clients.every((c) => c.outcome === 'deployed' && c.verify?.ok)).toBe(true);
    expect(calls.some((c) => c.fault === 'error')).toBe(true);
    expect(calls.filter((c) => c.status === 429)).toEqual([]);
    for (const client of CLIENTS)
      expect(await liveVersion(fleet, client)).toBe(result.json.clients.find((c) => c.client === client)?.versionId);
  });
});
