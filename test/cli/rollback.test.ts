import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import type { DeployJson, RollbackJson, RotateJson } from '../../src/ui/json/index.js';
import { liveVersion, storedWorker } from '../helpers/edge-state.js';
import { closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';

/**
 * `mcp-fleet rollback` through the built binary: back to the previous deployment as it was when the
 * secrets did not change, and — after a rotation, when Cloudflare (and the edge) refuse to bring the
 * old version back with its old key (10220) — the old code re-uploaded with the current secrets, so
 * the current key is accepted and the revoked one refused.
 */

let fleet: TestFleet;

beforeAll(async () => {
  fleet = await createTestFleet('rollback', ['acme', 'beta']);
  const deployed = await fleet.cli(['deploy', '--all', '--local', '--all-at-once']);
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.stderr}`);
}, 300_000);

afterAll(() => closeTestFleet(fleet));

async function deploy(client: string): Promise<string> {
  const result = await fleet.cliJson<DeployJson>(['deploy', client, '--local', '--no-verify']);
  expect(result.exitCode, result.stderr).toBe(0);
  return result.json.clients[0]?.versionId as string;
}

describe('rollback', () => {
  test('without a secret change: back to the previous deployment as it was, and forward again with --to', async () => {
    const older = await deploy('beta');
    const newer = await deploy('beta');
    const back = await fleet.cliJson<RollbackJson>(['rollback', 'beta', '--local']);
    expect(back.exitCode, back.stderr).toBe(0);
    expect(back.json.clients[0]).toMatchObject({ how: 'redeployed', fromVersionId: newer, versionId: older, verify: { ok: true } });
    expect(await liveVersion(fleet, 'beta')).toBe(older);

    const forward = await fleet.cliJson<RollbackJson>(['rollback', 'beta', '--local', '--to', newer]);
    expect(forward.exitCode, forward.stderr).toBe(0);
    expect(forward.json.clients[0]).toMatchObject({ how: 'redeployed', versionId: newer });
    expect(await liveVersion(fleet, 'beta')).toBe(newer);
  });

  test('after a rotation: the old code comes back with the current key; the revoked key stays refused', async () => {
    const codeVersion = await deploy('acme');
    const revoked = (await fleet.secrets('acme')).get('API_KEY') as string;
    const rotated = await fleet.cli(['secrets', 'rotate', 'acme', '--local']);
    expect(rotated.exitCode, rotated.stderr).toBe(0);
    const current = (await fleet.secrets('acme')).get('API_KEY') as string;
    expect(current).not.toBe(revoked);

    // Deploying the pre-rotation version as it was would revive the revoked key: the edge refuses, as Cloudflare does.
    const { info } = fleet.edge;
    const refused = await fetch(`${info.apiBaseUrl}/accounts/${info.accountId}/workers/scripts/acme/deployments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ strategy: 'percentage', versions: [{ version_id: codeVersion, percentage: 100 }] }),
    });
    const refusal = (await refused.json()) as { success: boolean; errors: { code: number; message: string }[] };
    expect(refusal.success).toBe(false);
    expect(refusal.errors[0]?.code).toBe(10220);
    expect(refusal.errors[0]?.message).toContain('API_KEY');
    expect(refusal.errors[0]?.message).not.toContain(revoked);

    const back = await fleet.cliJson<RollbackJson>(['rollback', 'acme', '--local']);
    expect(back.exitCode, back.stderr).toBe(0);
    const entry = back.json.clients[0];
    expect(entry).toMatchObject({ how: 'reuploaded', targetVersionId: codeVersion, verify: { ok: true } });
    expect(entry?.versionId).not.toBe(codeVersion);
    expect(await liveVersion(fleet, 'acme')).toBe(entry?.versionId);
    expect(await fleet.eventuallyAccepts('acme', current)).toBe(true);
    expect(await fleet.refuses('acme', revoked)).toBe(true);
  });

  test('after a plain rollback, secrets still change: the rolled-back code goes out again with them, never the newer code', async () => {
    const older = await deploy('beta');
    const source = join(fleet.dir, 'src', 'tools.ts');
    const original = await readFile(source, 'utf8');
    onTestFinished(async () => {
      await writeFile(source, original);
      await deploy('beta');
    });
    await writeFile(source, `${original}\n// a newer build\n`);
    const newer = await deploy('beta');
    const back = await fleet.cliJson<RollbackJson>(['rollback', 'beta', '--local']);
    expect(back.json.clients[0]).toMatchObject({ how: 'redeployed', versionId: older });

    // Cloudflare refuses to edit secrets now (10215): the edit would start from the newer version.
    const revoked = (await fleet.secrets('beta')).get('API_KEY') as string;
    const since = await fleet.lastSeq();
    const rotated = await fleet.cliJson<RotateJson>(['secrets', 'rotate', 'beta', '--local']);
    expect(rotated.exitCode, rotated.stderr).toBe(0);
    expect(rotated.json.clients[0]?.warnings.join(' ')).toMatch(/earlier version .*rollback.* went out again/);
    const calls = (await fleet.requests(since)).filter((entry) => entry.script === 'beta');
    expect(calls.length).toBeLessThanOrEqual(5);

    const current = (await fleet.secrets('beta')).get('API_KEY') as string;
    expect(await fleet.accepts('beta', current)).toBe(true);
    expect(await fleet.refuses('beta', revoked)).toBe(true);
    // What runs is a new version with the older version's code, not the newer code.
    const live = (await liveVersion(fleet, 'beta')) as string;
    expect([older, newer]).not.toContain(live);
    const { script } = await storedWorker(fleet, 'beta');
    const code = (id: string) => script.versions.find((v) => v.id === id)?.modules.map((m) => m.hash);
    expect(code(live)).toEqual(code(older));
    expect(code(live)).not.toEqual(code(newer));
    // UPSTREAM_TOKEN was not changed: it was inherited, and the worker is ready.
    expect((await fetch(`${fleet.workerUrl('beta')}/ready`)).status).toBe(200);

    // The newest version is the live one again, so the next change is one ordinary request.
    const sincePush = await fleet.lastSeq();
    const pushed = await fleet.cli(['secrets', 'push', 'beta', '--local']);
    expect(pushed.exitCode, pushed.stderr).toBe(0);
    expect((await fleet.requests(sincePush)).filter((entry) => entry.script === 'beta')).toHaveLength(1);
  });

  test('--to needs exactly one client; a client with no earlier deployment fails, naming --to', async () => {
    expect((await fleet.cli(['rollback', '--all', '--local', '--to', '0123abcd'])).exitCode).toBe(2);
    expect((await fleet.cli(['rollback', 'acme', 'beta', '--local', '--to', '0123abcd'])).exitCode).toBe(2);
    await fleet.add('fresh');
    expect((await fleet.cli(['deploy', 'fresh', '--local', '--no-verify'])).exitCode).toBe(0);
    const result = await fleet.cli(['rollback', 'fresh', '--local']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr + result.stdout).toMatch(/no earlier deployment[\s\S]*--to/);
    expect((await fleet.cli(['remove', 'fresh', '--delete-worker', '--local', '--yes'])).exitCode).toBe(0);
  });
});
