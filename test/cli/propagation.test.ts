import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import type { DeployClientJson, DeployJson } from '../../src/ui/json/index.js';
import { editConfigForThisTest, liveVersion } from '../helpers/edge-state.js';
import { closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';

/**
 * A deployment reaches Cloudflare's locations over seconds; until it has, the old code answers.
 * The local edge plays that with `propagationMs`, and these tests show a rollout's checks wait for
 * the version they deployed (which the template's /health names, from its version_metadata
 * binding) instead of passing on the old code.
 */

const CLIENTS = ['acme', 'beta'];
let fleet: TestFleet;

beforeAll(async () => {
  fleet = await createTestFleet('propagation', CLIENTS);
}, 180_000);

afterAll(() => closeTestFleet(fleet));

async function servedVersion(client: string): Promise<string | undefined> {
  const response = await fetch(`${fleet.workerUrl(client)}/health`);
  return ((await response.json()) as { versionId?: string }).versionId;
}

async function deployAll(): Promise<{ exitCode: number | undefined; stderr: string; clients: DeployClientJson[] }> {
  const result = await fleet.cliJson<DeployJson>(['deploy', '--all', '--local']);
  return { exitCode: result.exitCode, stderr: result.stderr, clients: result.json.clients };
}

function propagate(ms: number): Promise<void> {
  onTestFinished(() => fleet.setFaults({ propagationMs: 0 }));
  return fleet.setFaults({ propagationMs: ms });
}

describe('rollouts while a deployment propagates', () => {
  test('/health names the version each client runs', async () => {
    const deploy = await deployAll();
    expect(deploy.exitCode, deploy.stderr).toBe(0);
    for (const entry of deploy.clients) {
      expect(entry.versionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(await servedVersion(entry.client), entry.client).toBe(entry.versionId);
    }
  });

  test('a wave is verified on the version it deployed: when deploy returns, every client already serves it', async () => {
    await propagate(1_500);
    await editConfigForThisTest(fleet, '"CLIENT_ID": "beta"', '"CLIENT_ID": "beta", "GREETING": "hello"');
    const deploy = await deployAll();
    expect(deploy.exitCode, deploy.stderr).toBe(0);
    expect(deploy.stderr).toMatch(/waiting for [0-9a-f]{8} to answer \(the old version still does\)/);
    for (const entry of deploy.clients) {
      expect(entry.verify?.ok, entry.client).toBe(true);
      // Without the wait, the checks pass on the old code and this still names the old version.
      expect(await servedVersion(entry.client), entry.client).toBe(entry.versionId);
    }
  });

  test('a canary broken only in its new version is caught after propagation and rolled back; the rest is untouched', async () => {
    const before = { acme: await liveVersion(fleet, 'acme'), beta: await liveVersion(fleet, 'beta') };
    await propagate(2_000);
    // acme's new version cannot reach its upstream, so its /ready answers 503; the old one is fine.
    await editConfigForThisTest(fleet, '"CLIENT_ID": "acme"', '"CLIENT_ID": "acme", "UPSTREAM_URL": "https://upstream.invalid/"');
    const deploy = await deployAll();
    expect(deploy.exitCode).toBe(1);
    const acme = deploy.clients.find((c) => c.client === 'acme') as DeployClientJson;
    expect(acme.outcome).toBe('rolled-back');
    expect(acme.verify?.detail).toMatch(/ready/);
    expect(acme.versionId).toBe(before.acme);
    expect(deploy.clients.find((c) => c.client === 'beta')?.outcome).toBe('not-started');
    expect(await liveVersion(fleet, 'beta')).toBe(before.beta);
    // The rollback propagates too; then the old version answers again.
    const deadline = Date.now() + 10_000;
    while ((await servedVersion('acme')) !== before.acme && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await servedVersion('acme')).toBe(before.acme);
  });
});
