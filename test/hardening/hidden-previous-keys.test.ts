import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { createSecretsApi, type SecretsApi } from '../../src/cloudflare/api.js';
import { localTarget } from '../../src/cloudflare/local-target.js';
import { Pacer } from '../../src/cloudflare/pacer.js';
import type { ClientFailureJson, FleetJson, RetireJson, RotateJson, VerifyJson } from '../../src/ui/json/index.js';
import { closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';

/**
 * A previous key that opens a worker while nobody sees it: one deleted from the secrets file by
 * hand during a grace period, one only the worker holds, one too weak to be a key. Through the
 * built binary against the local edge; every test leaves acme as it found it (deployed, the file's
 * keys and only those on the worker).
 */

let fleet: TestFleet;
let api: SecretsApi;

beforeAll(async () => {
  fleet = await createTestFleet('previous-keys', ['acme']);
  const deployed = await fleet.cli(['deploy', 'acme', '--local', '--no-verify']);
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.stdout}\n${deployed.stderr}`);
  api = createSecretsApi(await localTarget(fleet.dir), { pacer: new Pacer([{ requests: 100, windowMs: 1_000 }]) });
}, 300_000);

afterAll(() => closeTestFleet(fleet));

const path = () => join(fleet.dir, '.secrets.acme');

async function apiKey(): Promise<string> {
  return (await fleet.secrets('acme')).get('API_KEY') as string;
}

/** The secrets file as it is now, put back when the test ends, with the worker's API_KEY_PREVIOUS gone. */
async function restoreAfter(): Promise<string> {
  const text = await readFile(path(), 'utf8');
  onTestFinished(async () => {
    await writeFile(path(), text, { mode: 0o600 });
    await api.bulkSetSecrets('acme', new Map([['API_KEY_PREVIOUS', null]]));
  });
  return text;
}

function authOf(json: VerifyJson) {
  return json.clients[0]?.checks.find((check) => check.name === 'auth');
}

describe('a previous key deleted from the file by hand', () => {
  test('after rotate --grace and a hand edit, verify fails naming API_KEY_PREVIOUS; retire finds it on the worker and the old key stops working', async () => {
    const oldKey = await apiKey();
    const rotated = await fleet.cliJson<RotateJson>(['secrets', 'rotate', 'acme', '--grace', '--local']);
    expect(rotated.exitCode, rotated.stderr).toBe(0);
    const newKey = await apiKey();
    expect(await fleet.accepts('acme', oldKey)).toBe(true);
    // The hand edit: the grace period looks over in the file, while the worker still takes the old key.
    await writeFile(path(), (await readFile(path(), 'utf8')).replace(/^API_KEY_PREVIOUS=.*\n/m, ''), { mode: 0o600 });

    const verify = await fleet.cliJson<VerifyJson>(['verify', 'acme', '--local']);
    expect(verify.exitCode, verify.stderr).toBe(1);
    expect(authOf(verify.json)).toMatchObject({
      ok: false,
      detail: expect.stringContaining('the worker holds API_KEY_PREVIOUS, which .secrets.acme does not name'),
    });
    expect(authOf(verify.json)?.detail).toMatch(/secrets retire acme --local/);

    const retired = await fleet.cliJson<RetireJson>(['secrets', 'retire', 'acme', '--local']);
    expect(retired.exitCode, retired.stderr).toBe(0);
    expect(retired.json.clients[0]).toMatchObject({ ok: true, retired: true });
    // The old key is known only from the rotation's backup: the proof tried it there.
    expect(retired.json.clients[0]?.proof).toMatchObject({ ok: true, newAccepted: true, staleRefused: true });
    expect(await fleet.refuses('acme', oldKey)).toBe(true);
    expect(await fleet.accepts('acme', newKey)).toBe(true);
    expect((await fleet.remoteSecrets('acme'))?.sort()).toEqual(['API_KEY', 'UPSTREAM_SIGNING_KEY', 'UPSTREAM_TOKEN']);

    const again = await fleet.cliJson<VerifyJson>(['verify', 'acme', '--local']);
    expect(again.exitCode, again.stderr).toBe(0);
  });
});

describe('a previous key that breaks the key rules', () => {
  test('API_KEY_PREVIOUS=ab in the file: push and deploy refuse it (exit 2, file:line) and send nothing', async () => {
    const text = await restoreAfter();
    await writeFile(path(), `${text}API_KEY_PREVIOUS=ab\n`, { mode: 0o600 });
    const line = text.split('\n').length;
    const since = await fleet.lastSeq();
    for (const args of [
      ['secrets', 'push', 'acme', '--local'],
      ['deploy', 'acme', '--local', '--no-verify'],
    ]) {
      const result = await fleet.cliJson<FleetJson<{ error: ClientFailureJson | undefined }>>(args);
      expect(result.exitCode, `${args.join(' ')}\n${result.stderr}`).toBe(2);
      expect(result.json.clients[0]?.error?.message).toContain(`.secrets.acme:${line}: API_KEY_PREVIOUS is 2 bytes long`);
    }
    expect((await fleet.requests(since)).filter((call) => call.script === 'acme')).toEqual([]);
    expect(await fleet.refuses('acme', 'ab')).toBe(true);
  });

  test('a weak API_KEY_PREVIOUS only the worker holds fails verify while it is there; push removes it', async () => {
    await restoreAfter();
    expect(await api.bulkSetSecrets('acme', new Map([['API_KEY_PREVIOUS', 'ab']]))).toBe('ok');
    expect(await fleet.eventuallyAccepts('acme', 'ab')).toBe(true);

    const verify = await fleet.cliJson<VerifyJson>(['verify', 'acme', '--local']);
    expect(verify.exitCode, verify.stderr).toBe(1);
    expect(authOf(verify.json)?.detail).toContain('the worker holds API_KEY_PREVIOUS, which .secrets.acme does not name');

    const pushed = await fleet.cli(['secrets', 'push', 'acme', '--local']);
    expect(pushed.exitCode, pushed.stderr).toBe(0);
    expect((await fleet.remoteSecrets('acme'))?.sort()).toEqual(['API_KEY', 'UPSTREAM_SIGNING_KEY', 'UPSTREAM_TOKEN']);
    expect(await fleet.refuses('acme', 'ab')).toBe(true);
    const again = await fleet.cliJson<VerifyJson>(['verify', 'acme', '--local']);
    expect(again.exitCode, again.stderr).toBe(0);
  });

  test('rotate --grace refuses to keep a current key that breaks the rules as the previous one, and changes nothing', async () => {
    const text = await restoreAfter();
    const key = await apiKey();
    await writeFile(path(), text.replace(`API_KEY=${key}\n`, `API_KEY=${key} \n`), { mode: 0o600 });
    const rotated = await fleet.cliJson<RotateJson>(['secrets', 'rotate', 'acme', '--grace', '--local']);
    expect(rotated.exitCode, rotated.stderr).toBe(2);
    expect(rotated.json.clients[0]?.error?.message).toMatch(
      /^\.secrets\.acme:\d+: --grace would keep the current API_KEY .* ends with whitespace/,
    );
    expect(rotated.stdout + rotated.stderr).not.toContain(key);
    expect(await readFile(path(), 'utf8')).toBe(text.replace(`API_KEY=${key}\n`, `API_KEY=${key} \n`));
    expect(await fleet.accepts('acme', key)).toBe(true);
  });
});
