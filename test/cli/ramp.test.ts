import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DeployJson } from '../../src/ui/json/index.js';
import { echoTrafficUntil, writeEchoTool } from '../helpers/echo-traffic.js';
import { deploymentsOf, liveVersion } from '../helpers/edge-state.js';
import { callsPerScript, closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';

/**
 * `deploy --ramp 10,50`: inside each wave, each client's new version takes 10 %, then 50 %, then
 * 100 % of its traffic (Cloudflare gradual deployments), checked at each step, and with --bake
 * judged at each step on its own traffic alone. Through the built binary against one local edge,
 * whose split is deterministic (the n-th request lands by a fixed sequence), so the test never
 * depends on chance.
 */

let fleet: TestFleet;
let toolsSource: string;

/** acme's deployments, newest first, as [version, percentage] pairs sorted by share (largest first). */
async function history(worker: string): Promise<[string, number][][]> {
  return (await deploymentsOf(fleet, worker)).map((deployment) =>
    [...deployment.versions].sort((a, b) => b.percentage - a.percentage).map((v) => [v.version_id, v.percentage] as [string, number]),
  );
}

beforeAll(async () => {
  fleet = await createTestFleet('ramp', ['acme', 'beta']);
  toolsSource = await readFile(join(fleet.dir, 'src', 'tools.ts'), 'utf8');
  await writeEchoTool(fleet.dir, toolsSource, undefined);
  const deployed = await fleet.cliJson<DeployJson>(['deploy', '--all', '--local', '--all-at-once']);
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.stderr}`);
}, 300_000);

afterAll(() => closeTestFleet(fleet));

describe('deploy --ramp', () => {
  test('each client of each wave goes 10 %, 50 %, then 100 %, checked at each step; 5 API calls per client', async () => {
    const old = { acme: await liveVersion(fleet, 'acme'), beta: await liveVersion(fleet, 'beta') };
    // New code: a description changes.
    await writeEchoTool(fleet.dir, toolsSource.replace('Returns the client this MCP server belongs to', 'Names the client'), undefined);
    const plan = await fleet.cliJson<{ plan: { ramp?: number[]; apiCalls: number }; clients: { client: string; apiCalls: number }[] }>([
      'deploy',
      '--all',
      '--local',
      '--plan',
      '--ramp',
      '10%,50%,100%',
    ]);
    expect(plan.exitCode, plan.stderr).toBe(0);
    expect(plan.json.plan.ramp).toEqual([10, 50]);
    expect(plan.stdout + plan.stderr).toContain('takes 10 %, then 50 %, then 100 % of its traffic');
    const planned = plan.json.clients.find((client) => client.client === 'acme')?.apiCalls;

    const since = await fleet.lastSeq();
    const result = await fleet.cliJson<DeployJson>([
      'deploy',
      '--all',
      '--local',
      '--canary',
      'acme',
      '--waves',
      '1,100%',
      '--ramp',
      '10,50',
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    // Counted before this test reads the deployments itself.
    const calls = callsPerScript(await fleet.requests(since));
    for (const worker of ['acme', 'beta'] as const) {
      const entry = result.json.clients.find((client) => client.client === worker);
      expect(entry?.outcome).toBe('deployed');
      const newer = entry?.versionId as string;
      expect(newer).not.toBe(old[worker]);
      expect((await history(worker)).slice(0, 4)).toEqual([
        [[newer, 100]],
        [
          [newer, 50],
          [old[worker], 50],
        ],
        [
          [old[worker], 90],
          [newer, 10],
        ],
        [[old[worker], 100]],
      ]);
    }
    // Upload, the live deployment read once, a deployment per step.
    expect(calls.get('acme')).toBeLessThanOrEqual(5);
    expect(calls.get('acme')).toBe(planned);
    console.log(`[api calls] ramp 10,50: acme ${calls.get('acme')}, beta ${calls.get('beta')}, account ${calls.get('(account)') ?? 0}`);
  }, 180_000);

  test('a bad version is caught at 50 % by the bake of its own traffic, and all traffic goes back; the next wave never starts', async () => {
    const old = { acme: await liveVersion(fleet, 'acme'), beta: await liveVersion(fleet, 'beta') };
    await writeEchoTool(fleet.dir, toolsSource, 5);
    const deploying = fleet.cliJson<DeployJson>([
      'deploy',
      '--all',
      '--local',
      '--canary',
      'acme',
      '--waves',
      '1,100%',
      '--ramp',
      '50',
      '--bake',
      '8s',
      '--min-requests',
      '15',
    ]);
    const [result, calls] = await Promise.all([deploying, echoTrafficUntil(fleet, 'acme', deploying)]);
    expect(result.exitCode, result.stderr).toBe(1);
    const acme = result.json.clients.find((client) => client.client === 'acme');
    expect(acme?.outcome).toBe('rolled-back');
    expect(acme?.bake?.verdict).toBe('breach');
    expect(acme?.bake?.detail).toContain('at 50 %');
    // The old version served the other half, and none of its calls failed: the figures are the new version's alone.
    expect(acme?.bake?.requests).toBeLessThan(calls);
    expect(acme?.bake?.errorRate).toBeGreaterThan(0.1);
    const deployments = await history('acme');
    expect(deployments[0]).toEqual([[old.acme, 100]]);
    // It never reached 100 %.
    expect(deployments.slice(0, 3).some((d) => d.length === 1 && d[0]?.[0] === acme?.deployedVersionId)).toBe(false);
    expect(result.json.clients.find((client) => client.client === 'beta')?.outcome).toBe('not-started');
    expect(await liveVersion(fleet, 'beta')).toBe(old.beta);
  }, 180_000);

  test('checks at a split are pinned to the new version: one that names the wrong client fails at 10 % and goes back', async () => {
    const old = await liveVersion(fleet, 'acme');
    // Of ten requests at 10 %, nine would reach the old version: unpinned checks would pass it.
    await writeEchoTool(fleet.dir, toolsSource.replace('client: caller.client', "client: 'not-' + caller.client"), undefined);
    const result = await fleet.cliJson<DeployJson>(['deploy', 'acme', '--local', '--ramp', '10']);
    expect(result.exitCode, result.stderr).toBe(1);
    const acme = result.json.clients[0];
    expect(acme?.outcome).toBe('rolled-back');
    expect(acme?.verify).toMatchObject({ ok: false });
    expect(acme?.verify?.detail).toContain('at 10 %, checked on the new version');
    expect(acme?.verify?.detail).toContain('identity');
    const deployments = await history('acme');
    expect(deployments[0]).toEqual([[old, 100]]);
    expect(deployments.slice(0, 3).some((d) => d.length === 1 && d[0]?.[0] === acme?.deployedVersionId)).toBe(false);
    await writeEchoTool(fleet.dir, toolsSource, undefined);
  }, 180_000);

  test('bad --ramp values are bad usage naming the flag, and change nothing', async () => {
    const before = await readFile(join(fleet.dir, 'wrangler.jsonc'), 'utf8');
    for (const [args, message] of [
      [['--ramp', '50,10'], '--ramp 50,10'],
      [['--ramp', '0'], '--ramp 0'],
      [['--ramp', 'ten'], '--ramp ten'],
      [['--ramp', '10', '--no-verify'], '--no-verify'],
      [['--ramp', '10', '--percent', '10'], '--percent'],
    ] as const) {
      const bad = await fleet.cli(['deploy', '--all', '--local', ...args]);
      expect(bad.exitCode, `${args.join(' ')}: ${bad.stderr}`).toBe(2);
      expect(bad.stderr).toContain(message);
    }
    expect(await readFile(join(fleet.dir, 'wrangler.jsonc'), 'utf8')).toBe(before);
  });
});
