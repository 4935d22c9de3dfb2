import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import type { ClientFailureJson, FleetJson } from '../../src/ui/json/index.js';
import { closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';

/**
 * Secrets files as a person leaves them: saved in another encoding, a key pasted with a trailing
 * space, permissions others can read. Through the built binary against the local edge; every
 * command that reads the file treats it the same way, and nothing it cannot send as it is goes out.
 */

let fleet: TestFleet;

beforeAll(async () => {
  fleet = await createTestFleet('mishandled', ['acme']);
  const deployed = await fleet.cli(['deploy', 'acme', '--local', '--no-verify']);
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.stdout}\n${deployed.stderr}`);
}, 300_000);

afterAll(() => closeTestFleet(fleet));

const path = () => join(fleet.dir, '.secrets.acme');

/** The file's bytes now, put back (0600) when the test ends. */
async function restoreAfter(): Promise<Buffer> {
  const bytes = await readFile(path());
  onTestFinished(async () => {
    await writeFile(path(), bytes, { mode: 0o600 });
    await chmod(path(), 0o600);
  });
  return bytes;
}

const SENDING = [
  ['secrets', 'push', 'acme', '--local'],
  ['deploy', 'acme', '--local', '--no-verify'],
  ['secrets', 'rotate', 'acme', '--local'],
] as const;

describe('values that cannot be sent as they are', () => {
  test('a value that is not UTF-8 is refused by file:line (exit 2) by push, deploy and rotate: nothing sent, not a byte of the file rewritten', async () => {
    const bytes = await restoreAfter();
    const text = bytes.toString('utf8');
    const line = text.split('\n').findIndex((entry) => entry.startsWith('UPSTREAM_TOKEN=')) + 1;
    // The token as a Latin-1 editor saves "café-…": one byte 0xE9 where UTF-8 has two.
    const latin1 = Buffer.from(text.replace(/^UPSTREAM_TOKEN=.*$/m, 'UPSTREAM_TOKEN=caf\u00e9-upstream-token-0123'), 'latin1');
    await writeFile(path(), latin1, { mode: 0o600 });
    const since = await fleet.lastSeq();
    for (const args of SENDING) {
      const result = await fleet.cliJson<FleetJson<{ error: ClientFailureJson | undefined }>>(args);
      expect(result.exitCode, `${args.join(' ')}\n${result.stderr}`).toBe(2);
      expect(result.json.clients[0]?.error?.message).toContain(
        `.secrets.acme:${line}: the value of UPSTREAM_TOKEN is not valid UTF-8 text`,
      );
      expect(result.stdout + result.stderr).not.toContain('upstream-token-0123');
    }
    expect(await readFile(path())).toEqual(latin1);
    expect((await fleet.requests(since)).filter((call) => call.script === 'acme')).toEqual([]);
  });

  test('an API_KEY with trailing whitespace is refused by file:line (exit 2) by push and deploy, without echoing it; the real key keeps working', async () => {
    const bytes = await restoreAfter();
    const key = (await fleet.secrets('acme')).get('API_KEY') as string;
    const text = bytes.toString('utf8');
    const line = text.split('\n').indexOf(`API_KEY=${key}`) + 1;
    const since = await fleet.lastSeq();
    for (const padded of [`${key} `, `${key}\t`]) {
      await writeFile(path(), text.replace(`API_KEY=${key}\n`, `API_KEY=${padded}\n`), { mode: 0o600 });
      for (const args of SENDING.slice(0, 2)) {
        const result = await fleet.cliJson<FleetJson<{ error: ClientFailureJson | undefined }>>(args);
        expect(result.exitCode, `${args.join(' ')}\n${result.stderr}`).toBe(2);
        expect(result.json.clients[0]?.error?.message).toContain(`.secrets.acme:${line}: API_KEY ends with whitespace`);
        expect(result.stdout + result.stderr).not.toContain(key);
      }
    }
    expect((await fleet.requests(since)).filter((call) => call.script === 'acme')).toEqual([]);
    expect(await fleet.accepts('acme', key)).toBe(true);
  });
});

describe('a secrets file others can read', () => {
  // Every command that reads .secrets.acme, whether it writes anything or not.
  const READERS = [
    ['list'],
    ['secrets', 'status', 'acme', '--local'],
    ['status', 'acme', '--local'],
    ['verify', 'acme', '--local'],
    // With the key in a host file (0600), not on stdout.
    ['connect', 'acme', '--for', 'cursor', '--inline-key', '--yes', '--write', '../connect-out', '--local'],
    ['secrets', 'push', 'acme', '--local'],
    ['deploy', 'acme', '--local', '--no-verify'],
    ['secrets', 'rotate', 'acme', '--local'],
    ['secrets', 'retire', 'acme', '--local'],
  ];

  test.each(READERS.map((args, index) => [args.join(' '), args, index % 2 === 0 ? 0o644 : 0o666] as const))(
    '%s makes it 0600 and says so once, on stderr',
    async (_name, args, mode) => {
      onTestFinished(() => chmod(path(), 0o600));
      await chmod(path(), mode);
      const result = await fleet.cli(args);
      expect(result.exitCode, `${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBeLessThanOrEqual(1);
      expect((await stat(path())).mode & 0o777).toBe(0o600);
      const warnings = result.stderr.split('\n').filter((entry) => entry.includes('.secrets.acme was readable by other users'));
      expect(warnings).toEqual([
        `! .secrets.acme was readable by other users (mode 0${mode.toString(8)}); it is now 0600 (owner only). Anyone who could read it may have its values: consider rotating them.`,
      ]);
      expect(result.stdout).not.toContain('readable by other users');
    },
  );
});
