import { afterAll, beforeAll, expect, onTestFinished, test } from 'vitest';
import type { RotateJson } from '../../src/ui/json/index.js';
import { closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';

/** An error says what went wrong, not something comforting or misleading. */
let fleet: TestFleet;

beforeAll(async () => {
  fleet = await createTestFleet('errors', ['acme', 'beta']);
  const deployed = await fleet.cli(['deploy', '--all', '--local', '--no-verify']);
  expect(deployed.exitCode, deployed.stderr).toBe(0);
});

afterAll(() => closeTestFleet(fleet));

/** Gives acme a 1 MB UPSTREAM_TOKEN, which the API refuses as too large, until the test ends. */
async function withHugeSecret(): Promise<void> {
  const original = (await fleet.secrets('acme')).get('UPSTREAM_TOKEN') as string;
  await fleet.setSecret('acme', 'UPSTREAM_TOKEN', `huge_${'x'.repeat(1024 * 1024)}`);
  onTestFinished(() => fleet.setSecret('acme', 'UPSTREAM_TOKEN', original));
}

test('a request the API refuses as invalid (a 1 MB secret) is not blamed on the token', async () => {
  await withHugeSecret();
  const result = await fleet.cli(['secrets', 'push', 'acme', '--local']);
  expect(result.exitCode).toBe(1);
  expect(`${result.stdout}${result.stderr}`).not.toMatch(/refused the token|CLOUDFLARE_API_TOKEN was refused/);
  expect(result.stderr).toMatch(/acme: .*Cloudflare answered 4\d\d/);
  expect((await fleet.leaks.findLeaks()).leaks).toEqual([]);
});

test('per-client failure reasons go to stderr, so a redirected report still shows why', async () => {
  // acme's push is refused; beta's goes through.
  await withHugeSecret();
  const result = await fleet.cli(['secrets', 'push', '--all', '--local']);
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toContain('beta');
  expect(result.stdout).not.toMatch(/acme: .*Cloudflare answered/);
  expect(result.stderr).toMatch(/acme: .*Cloudflare answered 4\d\d/);
});

test('a rotate whose push answer is lost says the outcome is unknown, never "nothing changed"; a re-run converges', async () => {
  const before = (await fleet.secrets('beta')).get('API_KEY') as string;
  // The edge answers 503 to the push; with one attempt the answer is lost as far as rotate knows.
  await fleet.setFaults({ failNext: 1 });
  onTestFinished(() => fleet.setFaults({ failNext: 0 }));
  const failed = await fleet.cliJson<RotateJson>(['secrets', 'rotate', 'beta', '--local'], {
    env: { MCP_FLEET_API_ATTEMPTS: '1' },
  });
  expect(failed.exitCode).toBe(1);
  expect(failed.json.clients[0]).toMatchObject({ ok: false, reached: 'unknown' });
  expect(failed.stderr).toContain('unknown — re-run to converge');
  expect(failed.stderr).not.toContain('nothing changed');
  const again = await fleet.cli(['secrets', 'rotate', 'beta', '--local']);
  expect(again.exitCode, again.stderr).toBe(0);
  const now = (await fleet.secrets('beta')).get('API_KEY') as string;
  expect(now).not.toBe(before);
  expect(await fleet.eventuallyAccepts('beta', now)).toBe(true);
  expect(await fleet.refuses('beta', before)).toBe(true);
});
