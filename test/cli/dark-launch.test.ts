import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import type { DeployJson, HistoryJson, RollbackJson, StatusJson } from '../../src/ui/json/index.js';
import { deploymentsOf } from '../helpers/edge-state.js';
import { callsPerScript, closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';

/**
 * `mcp-fleet deploy <client> --percent N` (a dark launch: a Cloudflare gradual deployment) through
 * the built binary against the local edge: the split the edge serves, moving it, --promote,
 * rollback during a split, API calls per client from the edge's request log, and bad flags.
 */

let fleet: TestFleet;
let original: string;

beforeAll(async () => {
  fleet = await createTestFleet('dark', ['acme', 'beta']);
  const deployed = await fleet.cliJson<DeployJson>(['deploy', '--all', '--local', '--all-at-once']);
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.stderr}`);
  original = deployed.json.clients[0]?.versionId as string;
}, 300_000);

afterAll(() => closeTestFleet(fleet));

async function split(worker: string): Promise<Map<string, number>> {
  const [live] = await deploymentsOf(fleet, worker);
  return new Map((live?.versions ?? []).map((v) => [v.version_id, v.percentage]));
}

/** Of `n` requests to /health, how many each version answered (the template's /health names its version). */
async function served(worker: string, n: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const response = await fetch(`${fleet.workerUrl(worker)}/health`);
    const { versionId } = (await response.json()) as { versionId: string };
    counts.set(versionId, (counts.get(versionId) ?? 0) + 1);
  }
  return counts;
}

async function deployAcme(args: string[]) {
  const since = await fleet.lastSeq();
  const result = await fleet.cliJson<DeployJson>(['deploy', 'acme', '--local', ...args]);
  return { result, calls: callsPerScript(await fleet.requests(since)) };
}

describe('dark launch', () => {
  test('--percent 10 serves 5–15 % of 1,000 requests from the new version; 50 moves it; --promote ends it', async () => {
    const ten = await deployAcme(['--percent', '10']);
    expect(ten.result.exitCode, ten.result.stderr).toBe(0);
    const entry = ten.result.json.clients[0];
    const newer = entry?.versionId as string;
    expect(newer).not.toBe(original);
    expect(entry).toMatchObject({ outcome: 'deployed', verify: { ok: true } });
    expect(entry?.verify?.detail).toContain('checked on the new version');
    expect(await split('acme')).toEqual(
      new Map([
        [newer, 10],
        [original, 90],
      ]),
    );
    // list deployments, upload, deploy; plus the account's worker list.
    expect(ten.calls.get('acme')).toBeLessThanOrEqual(3);
    expect(ten.calls.get('(account)') ?? 0).toBeLessThanOrEqual(1);
    const counts = await served('acme', 1000);
    const fromNew = counts.get(newer) ?? 0;
    expect(fromNew).toBeGreaterThanOrEqual(50);
    expect(fromNew).toBeLessThanOrEqual(150);
    expect(fromNew + (counts.get(original) ?? 0)).toBe(1000);

    // status and history show the split.
    const status = await fleet.cliJson<StatusJson>(['status', 'acme', '--local']);
    expect(status.json.clients[0]?.traffic.map((t) => [t.versionId, t.percentage]).sort()).toEqual(
      [
        [newer, 10],
        [original, 90],
      ].sort(),
    );
    expect(status.stdout + status.stderr).toContain('--promote');
    const history = await fleet.cliJson<HistoryJson>(['history', 'acme', '--local']);
    const live = history.json.clients[0]?.events.find((event) => event.live);
    expect(live?.versions.map((v) => v.percentage).sort()).toEqual([10, 90]);

    const fifty = await deployAcme(['--percent', '50']);
    expect(fifty.result.exitCode, fifty.result.stderr).toBe(0);
    expect(fifty.result.json.clients[0]?.versionId).toBe(newer);
    expect(await split('acme')).toEqual(
      new Map([
        [newer, 50],
        [original, 50],
      ]),
    );
    // Moving the split with the same code uploads nothing: list deployments, read the newer version, deploy.
    expect(fifty.calls.get('acme')).toBeLessThanOrEqual(3);

    const promoted = await deployAcme(['--promote']);
    expect(promoted.result.exitCode, promoted.result.stderr).toBe(0);
    expect(promoted.calls.get('acme')).toBeLessThanOrEqual(2);
    expect(await split('acme')).toEqual(new Map([[newer, 100]]));
    expect(await served('acme', 20)).toEqual(new Map([[newer, 20]]));
    console.log(
      `[api calls] dark launch acme: --percent 10 ${ten.calls.get('acme')}, --percent 50 ${fifty.calls.get('acme')}, --promote ${promoted.calls.get('acme')}; account-level ${ten.calls.get('(account)') ?? 0}`,
    );
    original = newer;
  });

  test('rollback during a split: all traffic back to the old version', async () => {
    const ten = await deployAcme(['--percent', '10']);
    expect(ten.result.exitCode, ten.result.stderr).toBe(0);
    const newer = ten.result.json.clients[0]?.versionId as string;
    const fifty = await deployAcme(['--percent', '50']);
    expect(fifty.result.exitCode, fifty.result.stderr).toBe(0);
    expect(await split('acme')).toEqual(
      new Map([
        [newer, 50],
        [original, 50],
      ]),
    );
    const back = await fleet.cliJson<RollbackJson>(['rollback', 'acme', '--local']);
    expect(back.exitCode, back.stderr).toBe(0);
    expect(back.json.clients[0]).toMatchObject({ versionId: original, verify: { ok: true } });
    expect(await split('acme')).toEqual(new Map([[original, 100]]));
  });

  test('new code during a split replaces the newer version; the old one keeps the rest', async () => {
    const ten = await deployAcme(['--percent', '10']);
    expect(ten.result.exitCode, ten.result.stderr).toBe(0);
    const first = ten.result.json.clients[0]?.versionId as string;
    const source = join(fleet.dir, 'src', 'tools.ts');
    const code = await readFile(source, 'utf8');
    onTestFinished(async () => {
      await writeFile(source, code);
      await fleet.cli(['rollback', 'acme', '--local']);
    });
    await writeFile(source, `${code}\n// a newer build\n`);
    const changed = await deployAcme(['--percent', '20']);
    expect(changed.result.exitCode, changed.result.stderr).toBe(0);
    const second = changed.result.json.clients[0]?.versionId as string;
    expect(second).not.toBe(first);
    expect(await split('acme')).toEqual(
      new Map([
        [second, 20],
        [original, 80],
      ]),
    );
    expect(changed.calls.get('acme')).toBeLessThanOrEqual(4);
  });

  test('the checks after --percent are pinned to the new version: one that fails them goes back to 100 % of the old', async () => {
    const source = join(fleet.dir, 'src', 'tools.ts');
    const code = await readFile(source, 'utf8');
    onTestFinished(() => writeFile(source, code));
    // whoami names another client: the identity check fails, but only on the new version, which answers 1 request in 10.
    await writeFile(source, code.replace('client: caller.client', "client: 'not-' + caller.client"));
    const ten = await deployAcme(['--percent', '10']);
    expect(ten.result.exitCode, ten.result.stderr).toBe(1);
    const entry = ten.result.json.clients[0];
    expect(entry?.outcome).toBe('rolled-back');
    expect(entry?.verify?.detail).toContain('checked on the new version');
    expect(entry?.verify?.detail).toContain('identity');
    expect(await split('acme')).toEqual(new Map([[original, 100]]));
  });

  test('--promote without a split fails and changes nothing', async () => {
    const before = await split('beta');
    const result = await fleet.cli(['deploy', 'beta', '--local', '--promote']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('nothing to promote');
    expect(await split('beta')).toEqual(before);
  });

  test.each([
    [['--percent', '0'], '--percent'],
    [['--percent', '100'], '--percent'],
    [['--percent', 'abc'], '--percent'],
    [['--percent', '10', '--promote'], '--promote'],
  ])('deploy %j is exit 2 naming the flag', async (args, flag) => {
    const before = await split('beta');
    const result = await fleet.cli(['deploy', 'beta', '--local', ...args]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(flag);
    expect(await split('beta')).toEqual(before);
  });

  test('--plan says what a dark launch would do, and changes nothing', async () => {
    const before = await split('beta');
    const result = await fleet.cli(['deploy', 'beta', '--local', '--percent', '10', '--plan']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toContain('a new version at 10 %');
    expect(await split('beta')).toEqual(before);
    const json = await fleet.cliJson<{ ok: boolean; plan: { split: number }; clients: string[] }>([
      'deploy',
      'beta',
      '--local',
      '--promote',
      '--plan',
    ]);
    expect(json.exitCode, json.stderr).toBe(0);
    expect(json.json).toMatchObject({ ok: true, plan: { split: 'promote' }, clients: ['beta'] });
    expect(await split('beta')).toEqual(before);
  });

  test('with --all each client gets the split, and --promote --all ends every one', async () => {
    const before = new Map([
      ['acme', await split('acme')],
      ['beta', await split('beta')],
    ]);
    const launched = await fleet.cliJson<DeployJson>(['deploy', '--all', '--local', '--percent', '30']);
    expect(launched.exitCode, launched.stderr).toBe(0);
    for (const entry of launched.json.clients) {
      const [old] = [...(before.get(entry.client) as Map<string, number>).keys()];
      expect(await split(entry.client)).toEqual(
        new Map([
          [entry.versionId as string, 30],
          [old as string, 70],
        ]),
      );
    }
    const promoted = await fleet.cliJson<DeployJson>(['deploy', '--all', '--local', '--promote']);
    expect(promoted.exitCode, promoted.stderr).toBe(0);
    for (const entry of launched.json.clients) expect(await split(entry.client)).toEqual(new Map([[entry.versionId as string, 100]]));
  });
});
