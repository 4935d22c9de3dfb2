import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { createSecretsApi } from '../../src/cloudflare/api.js';
import { localTarget } from '../../src/cloudflare/local-target.js';
import { Pacer } from '../../src/cloudflare/pacer.js';
import type { ListJson, PushJson, RetireJson, RotateJson, SecretsStatusJson } from '../../src/ui/json/index.js';
import { callsPerScript, closeTestFleet, createTestFleet, randomValue, type TestFleet } from '../helpers/fleet.js';

/**
 * `mcp-fleet secrets push|status|rotate` through the built binary against one local edge.
 * Remote state is read back from the edge (names) and from the workers (which key opens /mcp).
 *
 * Tests run in any order (vitest --sequence.shuffle): beforeAll deploys acme, beta and gamma, and
 * every test leaves that fleet as it found it — deployed, in sync, no other client, no pending
 * rotation. A test that needs more (a never-deployed client, a backups directory) makes it itself.
 */

const CLIENTS = ['acme', 'beta', 'gamma'];
let fleet: TestFleet;

beforeAll(async () => {
  fleet = await createTestFleet('secrets', CLIENTS);
  const deployed = await fleet.cli(['deploy', '--all', '--local', '--no-verify']);
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.stdout}\n${deployed.stderr}`);
}, 300_000);

// A test checks for leaks in what had run by its turn; this checks everything every test ran.
afterAll(() => closeTestFleet(fleet));

async function apiKey(client: string): Promise<string> {
  return (await fleet.secrets(client)).get('API_KEY') as string;
}

/** Adds a client that is never deployed, for the current test only: it is removed when the test ends. */
async function addNeverDeployed(client = 'never'): Promise<void> {
  await fleet.add(client);
  onTestFinished(async () => {
    const removed = await fleet.cli(['remove', client, '--keep-worker', '--yes']);
    if (removed.exitCode !== 0) throw new Error(`remove ${client} failed:\n${removed.stderr}`);
  });
}

/** The directory a rotation keeps its backups and pending record in (rotate makes it; a test that writes there first makes it too). */
async function backupsOf(client: string): Promise<string> {
  const dir = join(fleet.dir, '.mcp-fleet', 'backups', client);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

describe('secrets status', () => {
  test('clean after deploy: exit 0, names only', async () => {
    const result = await fleet.cliJson<SecretsStatusJson>(['secrets', 'status', '--all', '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.ok).toBe(true);
    for (const client of result.json.clients) {
      expect(client).toMatchObject({ deployed: true, inSync: true, missingRemotely: [], extraRemotely: [], missingLocally: [] });
    }
    expect(result.stderr).toContain('in sync');
  });

  test('reports missing remotely, extra remotely and missing locally; exit 1', async () => {
    const path = join(fleet.dir, '.secrets.beta');
    const original = await readFile(path, 'utf8');
    try {
      // beta: a new key only in the file, and UPSTREAM_TOKEN dropped from the file (still on the worker).
      await writeFile(path, `${original.replace(/^UPSTREAM_TOKEN=.*$/m, '')}EXTRA_SETTING=only-local-value-123\n`, { mode: 0o600 });
      const result = await fleet.cliJson<SecretsStatusJson>(['secrets', 'status', 'beta', 'acme', '--local']);
      expect(result.exitCode).toBe(1);
      const beta = result.json.clients.find((c) => c.client === 'beta');
      expect(beta).toMatchObject({
        inSync: false,
        missingRemotely: ['EXTRA_SETTING'],
        extraRemotely: ['UPSTREAM_TOKEN'],
        missingLocally: ['UPSTREAM_TOKEN'],
      });
      expect(result.json.clients.find((c) => c.client === 'acme')?.inSync).toBe(true);
      expect(result.stderr).not.toContain('only-local-value-123');
    } finally {
      await writeFile(path, original, { mode: 0o600 });
    }
  });

  test('a client that was never deployed shows as not deployed', async () => {
    await addNeverDeployed();
    const result = await fleet.cliJson<SecretsStatusJson>(['secrets', 'status', 'never', '--local']);
    expect(result.exitCode).toBe(1);
    expect(result.json.clients[0]).toMatchObject({
      deployed: false,
      inSync: false,
      missingRemotely: ['API_KEY', 'UPSTREAM_TOKEN', 'UPSTREAM_SIGNING_KEY'],
    });
    expect(result.stderr).toContain('not deployed');
  });
});

describe('secrets push', () => {
  test('a changed value reaches the worker, in one request per client', async () => {
    const oldKey = await apiKey('acme');
    const newKey = randomValue('hand-set');
    await fleet.setSecret('acme', 'API_KEY', newKey);
    const since = await fleet.lastSeq();
    const result = await fleet.cliJson<PushJson>(['secrets', 'push', 'acme', '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.clients[0]).toMatchObject({ client: 'acme', ok: true, keys: ['API_KEY', 'UPSTREAM_TOKEN', 'UPSTREAM_SIGNING_KEY'] });
    expect(await fleet.eventuallyAccepts('acme', newKey)).toBe(true);
    expect(await fleet.refuses('acme', oldKey)).toBe(true);
    const calls = (await fleet.requests(since)).filter((c) => c.script === 'acme');
    expect(calls.map((c) => `${c.method} ${c.route}`)).toEqual([expect.stringMatching(/^PATCH .*secrets-bulk$/)]);
  });

  test('push --all: one bulk request per client', async () => {
    const since = await fleet.lastSeq();
    const result = await fleet.cliJson<PushJson>(['secrets', 'push', '--all', '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    const perClient = callsPerScript(await fleet.requests(since));
    for (const client of CLIENTS) expect(perClient.get(client)).toBe(1);
    console.log(
      `[api calls] secrets push per client: ${CLIENTS.map((c) => `${c}=${perClient.get(c)}`).join(' ')}; account-level: ${perClient.get('(account)') ?? 0}`,
    );
  });

  test('push to a never-deployed client is refused and creates no worker', async () => {
    await addNeverDeployed();
    const since = await fleet.lastSeq();
    const result = await fleet.cliJson<PushJson>(['secrets', 'push', 'never', '--local']);
    expect(result.exitCode).toBe(1);
    expect(result.json.clients[0]?.error?.message).toMatch(/worker never does not exist/);
    expect(result.json.clients[0]?.error?.hint).toMatch(/mcp-fleet(\.js)? deploy never --local/);
    expect(await fleet.remoteSecrets('never')).toBeUndefined();
    expect((await fleet.requests(since)).filter((c) => c.script === 'never')).toHaveLength(1);
  });

  test('an incomplete secrets file stops that client only; nothing is sent for it', async () => {
    const before = await fleet.secrets('beta');
    await fleet.setSecret('beta', 'UPSTREAM_TOKEN', '');
    try {
      const since = await fleet.lastSeq();
      const result = await fleet.cliJson<PushJson>(['secrets', 'push', 'acme', 'beta', 'gamma', '--local']);
      expect(result.exitCode).toBe(1);
      const beta = result.json.clients.find((c) => c.client === 'beta');
      expect(beta?.ok).toBe(false);
      expect(beta?.error?.message).toContain('empty UPSTREAM_TOKEN');
      expect(result.json.clients.filter((c) => c.ok).map((c) => c.client)).toEqual(['acme', 'gamma']);
      expect((await fleet.requests(since)).filter((c) => c.script === 'beta')).toEqual([]);
    } finally {
      await fleet.setSecret('beta', 'UPSTREAM_TOKEN', before.get('UPSTREAM_TOKEN') as string);
    }
  });
});

describe('secrets rotate', () => {
  test('rotate one client: new key accepted, old refused, previous file backed up', async () => {
    const oldKey = await apiKey('beta');
    const since = await fleet.lastSeq();
    const result = await fleet.cliJson<RotateJson>(['secrets', 'rotate', 'beta', '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    const beta = result.json.clients[0];
    expect(beta).toMatchObject({ client: 'beta', key: 'API_KEY', ok: true, resumed: false, reached: 'proven' });
    expect(beta?.proof).toMatchObject({ newAccepted: true, oldRefused: true });
    const newKey = await apiKey('beta');
    expect(newKey).not.toBe(oldKey);
    expect(newKey.length).toBeGreaterThanOrEqual(32);
    expect(await fleet.accepts('beta', newKey)).toBe(true);
    expect(await fleet.refuses('beta', oldKey)).toBe(true);
    // The previous file is kept, private; the secrets file stays 0600; no pending record is left.
    const backup = beta?.backup as string;
    expect((await stat(backup)).mode & 0o777).toBe(0o600);
    expect(await readFile(backup, 'utf8')).toContain(`API_KEY=${oldKey}`);
    expect((await stat(join(fleet.dir, '.secrets.beta'))).mode & 0o777).toBe(0o600);
    expect(await readdir(join(fleet.dir, '.mcp-fleet', 'backups', 'beta'))).not.toContain('pending-rotation');
    const perClient = callsPerScript(await fleet.requests(since));
    expect(perClient.get('beta')).toBe(1);
    console.log(`[api calls] secrets rotate per client: beta=${perClient.get('beta')}; account-level: ${perClient.get('(account)') ?? 0}`);
  });

  test('rotate the whole fleet', async () => {
    const before = new Map(await Promise.all(CLIENTS.map(async (c) => [c, await apiKey(c)] as const)));
    const since = await fleet.lastSeq();
    const result = await fleet.cliJson<RotateJson>(['secrets', 'rotate', ...CLIENTS, '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.clients.map((c) => [c.client, c.ok, c.reached])).toEqual(CLIENTS.map((c) => [c, true, 'proven']));
    for (const client of CLIENTS) {
      const key = await apiKey(client);
      expect(key).not.toBe(before.get(client));
      expect(await fleet.accepts(client, key)).toBe(true);
      expect(await fleet.refuses(client, before.get(client) as string)).toBe(true);
    }
    const perClient = callsPerScript(await fleet.requests(since));
    console.log(`[api calls] secrets rotate --all per client: ${CLIENTS.map((c) => `${c}=${perClient.get(c)}`).join(' ')}`);
    const status = await fleet.cliJson<SecretsStatusJson>(['secrets', 'status', ...CLIENTS, '--local']);
    expect(status.exitCode).toBe(0);
  });

  test('rotate refuses a never-deployed worker and changes nothing', async () => {
    await addNeverDeployed();
    const before = await readFile(join(fleet.dir, '.secrets.never'), 'utf8');
    const result = await fleet.cliJson<RotateJson>(['secrets', 'rotate', 'never', '--local']);
    expect(result.exitCode).toBe(1);
    expect(result.json.clients[0]?.error?.message).toMatch(/does not exist/);
    expect(await readFile(join(fleet.dir, '.secrets.never'), 'utf8')).toBe(before);
    expect(await readdir(join(fleet.dir, '.mcp-fleet', 'backups', 'never'))).not.toContain('pending-rotation');
    expect(await fleet.remoteSecrets('never')).toBeUndefined();
  });

  test('a rotation cut off after its push is finished by re-running; push and deploy wait for it', async () => {
    // The state a crash between step 3 (push) and step 4 (file write) leaves: the worker has the
    // new key, only the pending record holds it, the file still has the old one.
    const oldKey = await apiKey('gamma');
    const pendingKey = randomValue('pending');
    fleet.leaks.addSecret(pendingKey, 'the pending key of gamma');
    const backups = await backupsOf('gamma');
    const backup = join(backups, 'crash.rotate.secrets');
    await writeFile(backup, await readFile(join(fleet.dir, '.secrets.gamma')), { mode: 0o600 });
    await writeFile(
      join(backups, 'pending-rotation'),
      JSON.stringify({ version: 1, client: 'gamma', key: 'API_KEY', value: pendingKey, backup, startedAt: new Date().toISOString() }),
      { mode: 0o600 },
    );
    const api = createSecretsApi(await localTarget(fleet.dir), { pacer: new Pacer([{ requests: 100, windowMs: 1_000 }]) });
    expect(await api.bulkSetSecrets('gamma', new Map([['API_KEY', pendingKey]]))).toBe('ok');
    expect(await fleet.eventuallyAccepts('gamma', pendingKey)).toBe(true);

    // Pushing the file now would silently undo the rotation: refused, with the way out.
    const push = await fleet.cliJson<PushJson>(['secrets', 'push', 'gamma', '--local']);
    expect(push.exitCode).toBe(1);
    expect(push.json.clients[0]?.error?.message).toContain('unfinished rotation of API_KEY');
    expect(push.json.clients[0]?.error?.hint).toMatch(/mcp-fleet(\.js)? secrets rotate gamma --local/);
    const deploy = await fleet.cli(['deploy', 'gamma', '--local']);
    expect(deploy.exitCode).toBe(1);
    const status = await fleet.cliJson<SecretsStatusJson>(['secrets', 'status', 'gamma', '--local']);
    expect(status.json.clients[0]?.pendingRotation).toBe('API_KEY');

    const result = await fleet.cliJson<RotateJson>(['secrets', 'rotate', 'gamma', '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.clients[0]).toMatchObject({ ok: true, resumed: true, reached: 'proven', backup });
    expect(result.stderr).toContain('resumed');
    expect(await apiKey('gamma')).toBe(pendingKey);
    expect(await fleet.refuses('gamma', oldKey)).toBe(true);
    expect(await readdir(backups)).not.toContain('pending-rotation');
  });

  test('a rotation cut off before its push is finished with the same new value', async () => {
    const oldKey = await apiKey('acme');
    const pendingKey = randomValue('pending-unsent');
    fleet.leaks.addSecret(pendingKey, 'the unsent pending key of acme');
    const backups = await backupsOf('acme');
    const backup = join(backups, 'crash2.rotate.secrets');
    await writeFile(backup, await readFile(join(fleet.dir, '.secrets.acme')), { mode: 0o600 });
    await writeFile(
      join(backups, 'pending-rotation'),
      JSON.stringify({ version: 1, client: 'acme', key: 'API_KEY', value: pendingKey, backup, startedAt: new Date().toISOString() }),
      { mode: 0o600 },
    );
    expect(await fleet.accepts('acme', oldKey)).toBe(true);
    const result = await fleet.cliJson<RotateJson>(['secrets', 'rotate', 'acme', '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.clients[0]).toMatchObject({ resumed: true, reached: 'proven' });
    expect(await apiKey('acme')).toBe(pendingKey);
    expect(await fleet.refuses('acme', oldKey)).toBe(true);
  });

  test('--key UPSTREAM_TOKEN takes the new value from --from-env; it cannot be proven from outside, and says so', async () => {
    const before = (await fleet.secrets('beta')).get('UPSTREAM_TOKEN');
    const token = randomValue('rotated-upstream-beta');
    fleet.leaks.addSecret(token, 'the new UPSTREAM_TOKEN of beta');
    const result = await fleet.cliJson<RotateJson>(['secrets', 'rotate', 'beta', '--key', 'UPSTREAM_TOKEN', '--from-env', '--local'], {
      env: { UPSTREAM_TOKEN: token },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.clients[0]).toMatchObject({ key: 'UPSTREAM_TOKEN', ok: true, reached: 'saved' });
    expect(result.json.clients[0]?.proof).toBeUndefined();
    expect((await fleet.secrets('beta')).get('UPSTREAM_TOKEN')).toBe(token);
    expect(token).not.toBe(before);
    expect(result.stderr).toContain('not checkable');
  });

  test('--key must be a key of the template (exit 2)', async () => {
    const result = await fleet.cli(['secrets', 'rotate', 'beta', '--key', 'NOPE', '--local']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('NOPE');
  });
});

describe('rotation with a grace period', () => {
  test('rotate --grace keeps the previous key working until retire; then only the new one opens /mcp', async () => {
    const before = await fleet.secrets('acme');
    const oldKey = before.get('API_KEY') as string;
    const rotated = await fleet.cliJson<RotateJson>(['secrets', 'rotate', 'acme', '--grace', '--local']);
    expect(rotated.exitCode, rotated.stderr).toBe(0);
    expect(rotated.json.clients[0]?.proof).toMatchObject({ ok: true, grace: true, newAccepted: true });
    const during = await fleet.secrets('acme');
    const newKey = during.get('API_KEY') as string;
    expect(newKey).not.toBe(oldKey);
    expect(during.get('API_KEY_PREVIOUS')).toBe(oldKey);
    expect(await fleet.accepts('acme', newKey)).toBe(true);
    expect(await fleet.accepts('acme', oldKey)).toBe(true);
    expect((await fleet.remoteSecrets('acme'))?.sort()).toEqual(['API_KEY', 'API_KEY_PREVIOUS', 'UPSTREAM_SIGNING_KEY', 'UPSTREAM_TOKEN']);
    const status = await fleet.cliJson<SecretsStatusJson>(['secrets', 'status', 'acme', '--local']);
    expect(status.json.clients[0]?.inSync).toBe(true);

    const retired = await fleet.cliJson<RetireJson>(['secrets', 'retire', 'acme', '--local']);
    expect(retired.exitCode, retired.stderr).toBe(0);
    expect(retired.json.clients).toMatchObject([{ client: 'acme', ok: true, retired: true }]);
    expect((await fleet.secrets('acme')).has('API_KEY_PREVIOUS')).toBe(false);
    expect(await fleet.refuses('acme', oldKey)).toBe(true);
    expect(await fleet.accepts('acme', newKey)).toBe(true);
    expect((await fleet.remoteSecrets('acme'))?.sort()).toEqual(['API_KEY', 'UPSTREAM_SIGNING_KEY', 'UPSTREAM_TOKEN']);

    const again = await fleet.cliJson<RetireJson>(['secrets', 'retire', 'acme', '--local']);
    expect(again.exitCode).toBe(0);
    expect(again.json.clients).toMatchObject([{ ok: true, retired: false }]);
  });

  test('--grace applies to API_KEY only (exit 2, nothing changed)', async () => {
    const before = await fleet.secrets('beta');
    const result = await fleet.cli(['secrets', 'rotate', 'beta', '--grace', '--key', 'UPSTREAM_TOKEN', '--local']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--grace');
    expect(await fleet.secrets('beta')).toEqual(before);
  });
});

describe('the Cloudflare target (no --local)', () => {
  test('token, account and API base URL from the environment drive the same operations', async () => {
    // The edge stands in for api.cloudflare.com here: this exercises the production Target's code path.
    const env = {
      CLOUDFLARE_API_BASE_URL: fleet.edge.info.apiBaseUrl,
      CLOUDFLARE_API_TOKEN: fleet.edge.info.token,
      CLOUDFLARE_ACCOUNT_ID: fleet.edge.info.accountId,
    };
    const status = await fleet.cliJson<SecretsStatusJson>(['secrets', 'status', 'acme'], { env });
    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.json.clients.map((c) => [c.client, c.deployed, c.inSync])).toEqual([['acme', true, true]]);
    // Worker URLs come from the account's workers.dev subdomain (one API call).
    const list = await fleet.cliJson<ListJson>(['list'], { env });
    expect(list.json.find((row) => row.client === 'acme')?.url).toBe('https://acme.local.workers.dev');
  });

  test('a wrong token is refused by the API: the client fails, nothing changes', async () => {
    const before = await fleet.secrets('acme');
    const env = {
      CLOUDFLARE_API_BASE_URL: fleet.edge.info.apiBaseUrl,
      CLOUDFLARE_API_TOKEN: 'not-the-token',
      CLOUDFLARE_ACCOUNT_ID: fleet.edge.info.accountId,
    };
    const push = await fleet.cliJson<PushJson>(['secrets', 'push', 'acme'], { env });
    expect(push.exitCode).not.toBe(0);
    expect(push.json.ok).toBe(false);
    expect(JSON.stringify(push.json)).toMatch(/auth/i);
    expect(await fleet.secrets('acme')).toEqual(before);
  });
});

describe('no leaks', () => {
  test('no secret value appears in any output, log file or child argv', async () => {
    // Commands of its own that handle every value (new keys made, with and without a grace period,
    // new tokens pushed, names compared, in human output), so what is searched never depends on
    // which tests ran before this one.
    for (const client of CLIENTS) await fleet.setSecret(client, 'UPSTREAM_TOKEN', randomValue(`leak-check-${client}`));
    for (const args of [
      ['secrets', 'push', '--all', '--local'],
      ['secrets', 'rotate', '--all', '--local'],
      ['secrets', 'rotate', '--all', '--grace', '--local'],
      ['secrets', 'retire', '--all', '--local'],
      ['secrets', 'status', '--all', '--local'],
    ]) {
      const result = await fleet.cli(args);
      expect(result.exitCode, `${args.join(' ')}\n${result.stderr}`).toBe(0);
    }
    const { corpus, leaks } = await fleet.leaks.findLeaks();
    expect(corpus.secrets).toBeGreaterThanOrEqual(10);
    expect(corpus.cmdlines).toBeGreaterThan(0);
    expect(leaks).toEqual([]);
  });
});
