import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { armor, Decrypter } from 'age-encryption';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { edgeFilePath } from '../../src/local/lifecycle/edge-file.js';
import { linkNodeModules, tempDir } from '../helpers/cli.js';
import { closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';

/**
 * Sealed secrets end to end, through the built binary against one local edge: a fleet sealed for
 * two recipients is committed and cloned into a fresh directory with no plain secrets file; with
 * one recipient's identity in the environment (as CI has it) the fleet deploys, pushes, rotates and
 * verifies, nothing decrypted lands on disk, and the rotation is in the sealed file; without an
 * identity every command that needs secrets exits 2 naming what is missing.
 */

let fleet: TestFleet;
let keys: { dir: string; cleanup: () => Promise<void> };
let clone: { dir: string; cleanup: () => Promise<void> };
let cloneDir: string;
const identities: Record<'alice' | 'bob', { identity: string; recipient: string }> = {
  alice: { identity: '', recipient: '' },
  bob: { identity: '', recipient: '' },
};
let originals: Map<string, string>;

/** No identity from the machine running the tests: only what a test passes counts. */
const noIdentity = () => ({
  XDG_CONFIG_HOME: join(keys.dir, 'empty-config'),
  MCP_FLEET_AGE_IDENTITY: undefined,
  MCP_FLEET_AGE_IDENTITY_FILE: undefined,
});

async function inClone(args: string[], env: Record<string, string | undefined>) {
  return fleet.cli(args, { cwd: cloneDir, env: { ...noIdentity(), ...env } });
}

async function open(path: string, identity: string): Promise<Map<string, string>> {
  const decrypter = new Decrypter();
  decrypter.addIdentity(identity);
  const text = await decrypter.decrypt(armor.decode(await readFile(path, 'utf8')), 'text');
  return new Map(
    text
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as [string, string]),
  );
}

/** Every file under `dir` (not node_modules or .git) whose bytes hold any of `values`. */
async function filesHolding(dir: string, values: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === '.git') continue;
      const path = join(at, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) {
        const text = await readFile(path, 'utf8');
        if (values.some((value) => text.includes(value))) found.push(path);
      }
    }
  };
  await walk(dir);
  return found;
}

beforeAll(async () => {
  fleet = await createTestFleet('sealed', ['acme', 'beta']);
  keys = await tempDir('mcp-fleet-keys-');
  for (const who of ['alice', 'bob'] as const) {
    const made = await fleet.cliJson<{ recipient: string; path: string }>(['recipients', 'keygen', '--out', join(keys.dir, `${who}.txt`)], {
      env: noIdentity(),
    });
    if (made.exitCode !== 0) throw new Error(made.stderr);
    identities[who] = {
      recipient: made.json.recipient,
      identity: (await readFile(made.json.path, 'utf8')).split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-')) ?? '',
    };
    fleet.leaks.addSecret(identities[who].identity, `${who}'s age identity`);
    const added = await fleet.cli(['recipients', 'add', made.json.recipient, '--name', who], { env: noIdentity() });
    if (added.exitCode !== 0) throw new Error(added.stderr);
  }
  const sealed = await fleet.cli(['secrets', 'seal', '--all'], { env: noIdentity() });
  if (sealed.exitCode !== 0) throw new Error(sealed.stderr);
  originals = await fleet.secrets('acme');
  const git = (args: string[], cwd = fleet.dir) =>
    execa('git', args, {
      cwd,
      env: { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' },
    });
  await git(['init', '-q', '.']);
  await git(['add', '-A']);
  await git(['commit', '-qm', 'fleet']);
  clone = await tempDir('mcp-fleet-clone-');
  cloneDir = join(clone.dir, 'fleet');
  await git(['clone', '-q', fleet.dir, cloneDir], clone.dir);
  await linkNodeModules(cloneDir);
  // The clone talks to the same local edge (in CI it would be Cloudflare, through the token).
  await mkdir(join(edgeFilePath(cloneDir), '..'), { recursive: true });
  await cp(edgeFilePath(fleet.dir), edgeFilePath(cloneDir));
}, 300_000);

afterAll(async () => {
  await clone?.cleanup();
  await keys?.cleanup();
  await closeTestFleet(fleet);
});

describe('sealed secrets', () => {
  test('the sealed files, the recipients and .gitignore are committed; the plain files are not', async () => {
    const tracked = (await execa('git', ['ls-files'], { cwd: fleet.dir })).stdout.split('\n');
    expect(tracked).toEqual(expect.arrayContaining(['.secrets.acme.age', '.secrets.beta.age', '.secrets-recipients', '.gitignore']));
    expect(tracked).not.toContain('.secrets.acme');
    expect(await readdir(cloneDir)).not.toContain('.secrets.acme');
    // Either recipient opens it.
    for (const who of ['alice', 'bob'] as const)
      expect((await open(join(cloneDir, '.secrets.acme.age'), identities[who].identity)).get('API_KEY')).toBe(originals.get('API_KEY'));
  });

  test('with one identity in the environment, a clone deploys, pushes, rotates and verifies; nothing decrypted reaches the disk', async () => {
    const env = { MCP_FLEET_AGE_IDENTITY: identities.bob.identity };
    for (const args of [
      ['deploy', '--all', '--local'],
      ['secrets', 'push', '--all', '--local'],
      ['secrets', 'rotate', 'acme', '--local'],
      ['verify', '--all', '--local'],
    ]) {
      const result = await inClone(args, env);
      expect(result.exitCode, `${args.join(' ')}:\n${result.stdout}\n${result.stderr}`).toBe(0);
    }
    const rotated = await open(join(cloneDir, '.secrets.acme.age'), identities.alice.identity);
    const newKey = rotated.get('API_KEY') as string;
    expect(newKey).not.toBe(originals.get('API_KEY'));
    fleet.leaks.addSecret(newKey, "acme's rotated API_KEY");
    expect(await fleet.accepts('acme', newKey)).toBe(true);
    expect(await fleet.refuses('acme', originals.get('API_KEY') as string)).toBe(true);
    // The rotation is in the sealed file git tracks, and no plain file appeared.
    expect((await execa('git', ['status', '--porcelain'], { cwd: cloneDir })).stdout).toContain(' M .secrets.acme.age');
    expect(await readdir(cloneDir)).not.toContain('.secrets.acme');
    const secretValues = [...originals.values(), ...rotated.values()].filter((value) => value.length >= 12);
    expect(await filesHolding(cloneDir, secretValues)).toEqual([]);
  }, 300_000);

  test('a sealed-only rotation cut off at its push keeps its new key sealed on disk, and the re-run finishes it', async () => {
    const env = { MCP_FLEET_AGE_IDENTITY: identities.bob.identity };
    const before = await open(join(cloneDir, '.secrets.acme.age'), identities.alice.identity);
    // Every API request fails for a while: the rotation records its new key, then cannot push it.
    await fleet.setFaults({ failNext: 50 });
    const cut = await inClone(['secrets', 'rotate', 'acme', '--local'], { ...env, MCP_FLEET_API_ATTEMPTS: '1' });
    await fleet.setFaults({ failNext: 0 });
    expect(cut.exitCode, cut.stderr).not.toBe(0);
    const pendingPath = join(cloneDir, '.mcp-fleet', 'backups', 'acme', 'pending-rotation');
    const record = JSON.parse(await readFile(pendingPath, 'utf8')) as {
      value?: string;
      sealedValue?: string;
      sealed?: boolean;
      backup: string;
    };
    // The new key is on disk only sealed: the record holds no value, and its backup is the sealed bytes.
    expect(record.value).toBeUndefined();
    expect(record.sealed).toBe(true);
    expect(record.backup.endsWith('.secrets.age')).toBe(true);
    const decrypter = new Decrypter();
    decrypter.addIdentity(identities.alice.identity);
    const newKey = await decrypter.decrypt(armor.decode(record.sealedValue as string), 'text');
    fleet.leaks.addSecret(newKey, "acme's pending API_KEY");
    expect(await filesHolding(cloneDir, [newKey, ...[...before.values()].filter((value) => value.length >= 12)])).toEqual([]);

    const resumed = await inClone(['secrets', 'rotate', 'acme', '--local'], env);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('resum');
    expect((await open(join(cloneDir, '.secrets.acme.age'), identities.alice.identity)).get('API_KEY')).toBe(newKey);
    expect(await fleet.accepts('acme', newKey)).toBe(true);
    expect(await readdir(join(cloneDir, '.mcp-fleet', 'backups', 'acme'))).not.toContain('pending-rotation');
  }, 180_000);

  test('with no identity, every command that needs secrets exits 2 saying which identity is missing', async () => {
    for (const args of [
      ['deploy', '--all', '--local'],
      ['secrets', 'push', '--all', '--local'],
      ['secrets', 'rotate', 'acme', '--local'],
      ['verify', '--all', '--local'],
      ['secrets', 'unseal', 'acme'],
    ]) {
      const result = await inClone(args, {});
      expect(result.exitCode, `${args.join(' ')}:\n${result.stderr}`).toBe(2);
      expect(result.stderr).toContain('.secrets.acme.age is sealed, and no age identity is set');
      expect(result.stderr).toContain('MCP_FLEET_AGE_IDENTITY');
    }
  }, 120_000);

  test('an identity the file was not sealed for, a malformed recipients file, or a broken sealed file: exit 2 naming the file', async () => {
    const stranger = await fleet.cliJson<{ path: string }>(['recipients', 'keygen', '--out', join(keys.dir, 'eve.txt')], {
      env: noIdentity(),
    });
    const eve = await inClone(['secrets', 'push', 'acme', '--local'], { MCP_FLEET_AGE_IDENTITY_FILE: stranger.json.path });
    expect(eve.exitCode).toBe(2);
    expect(eve.stderr).toContain(`.secrets.acme.age: no identity from ${stranger.json.path} can open it`);

    const recipients = join(cloneDir, '.secrets-recipients');
    const before = await readFile(recipients, 'utf8');
    await writeFile(recipients, `${before}age1notakey bob-typo\n`);
    const bad = await inClone(['secrets', 'seal', 'acme'], { MCP_FLEET_AGE_IDENTITY: identities.bob.identity });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/\.secrets-recipients:5: "age1notakey" is not an age recipient/);
    await writeFile(recipients, before);

    const sealedPath = join(cloneDir, '.secrets.beta.age');
    const sealed = await readFile(sealedPath, 'utf8');
    await writeFile(sealedPath, 'not sealed at all\n');
    const broken = await inClone(['verify', 'beta', '--local'], { MCP_FLEET_AGE_IDENTITY: identities.bob.identity });
    expect(broken.exitCode).toBe(2);
    expect(broken.stderr).toContain('.secrets.beta.age is not an age-sealed file');
    await writeFile(sealedPath, sealed);
  }, 120_000);

  test('add in a project that seals its secrets seals the new client too; remove takes the sealed copy aside, restore brings it back', async () => {
    const added = await fleet.cliJson<{ sealedFile: string | null }>(['add', 'delta', '--from-env', '--yes'], {
      env: { ...noIdentity(), UPSTREAM_TOKEN: 'tok-delta-0123456789abcdef' },
    });
    expect(added.exitCode, added.stderr).toBe(0);
    expect(added.json.sealedFile).toBe(join(fleet.dir, '.secrets.delta.age'));
    const sealed = await open(join(fleet.dir, '.secrets.delta.age'), identities.bob.identity);
    expect(sealed.get('API_KEY')).toBe((await fleet.secrets('delta')).get('API_KEY'));
    const sealedBytes = await readFile(join(fleet.dir, '.secrets.delta.age'), 'utf8');
    // Offboarding takes the sealed copy aside with the plain file (else it would be a sealed file of no client); restore brings both back.
    const removed = await fleet.cliJson<{ sealedKeptAt?: string }>(['remove', 'delta', '--keep-worker', '--yes'], { env: noIdentity() });
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.json.sealedKeptAt).toMatch(/\.mcp-fleet\/removed\/delta\..+\.secrets\.age$/);
    expect(await readdir(fleet.dir)).not.toContain('.secrets.delta.age');
    const restored = await fleet.cliJson<{ sealedFile?: string }>(['restore', 'delta'], { env: noIdentity() });
    expect(restored.exitCode, restored.stderr).toBe(0);
    expect(await readFile(join(fleet.dir, '.secrets.delta.age'), 'utf8')).toBe(sealedBytes);
    expect((await fleet.cli(['remove', 'delta', '--keep-worker', '--yes'], { env: noIdentity() })).exitCode).toBe(0);
  }, 120_000);

  test('a sealed file of no client is exit 2 naming it, and changes nothing', async () => {
    const stray = join(cloneDir, '.secrets.ghost.age');
    await writeFile(stray, await readFile(join(cloneDir, '.secrets.beta.age'), 'utf8'));
    const before = await readFile(join(cloneDir, '.secrets.beta.age'), 'utf8');
    const refused = await inClone(['secrets', 'seal', '--all', '--force'], { MCP_FLEET_AGE_IDENTITY: identities.bob.identity });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('.secrets.ghost.age is a sealed secrets file of no client');
    expect(await readFile(join(cloneDir, '.secrets.beta.age'), 'utf8')).toBe(before);
    const { rm } = await import('node:fs/promises');
    await rm(stray);
  }, 120_000);

  test('recipients remove seals every file again without them, and says to rotate', async () => {
    const removed = await inClone(['recipients', 'remove', 'alice'], { MCP_FLEET_AGE_IDENTITY: identities.bob.identity });
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.stdout + removed.stderr).toContain('does not revoke what that person already saw');
    await expect(open(join(cloneDir, '.secrets.beta.age'), identities.alice.identity)).rejects.toThrow(/no identity matched/);
    expect((await open(join(cloneDir, '.secrets.beta.age'), identities.bob.identity)).size).toBeGreaterThan(0);
    const last = await inClone(['recipients', 'remove', 'bob'], { MCP_FLEET_AGE_IDENTITY: identities.bob.identity });
    expect(last.exitCode).toBe(2);
    expect(last.stderr).toContain('the last recipient');
  }, 120_000);

  test('secrets status shows plain-vs-sealed drift per client, and exits 1 on an edit not sealed', async () => {
    const env = { MCP_FLEET_AGE_IDENTITY: identities.bob.identity };
    type Status = { clients: { client: string; sealed: string; inSync: boolean }[] };
    const clean = await fleet.cliJson<Status>(['secrets', 'status', '--all', '--local'], { env: { ...noIdentity(), ...env } });
    expect(clean.json.clients.map((c) => [c.client, c.sealed])).toEqual([
      ['acme', 'in-sync'],
      ['beta', 'in-sync'],
    ]);
    await fleet.setSecret('beta', 'EXTRA_NOTE', 'not-sealed-yet-value');
    const drift = await fleet.cliJson<Status>(['secrets', 'status', '--all', '--local'], { env: { ...noIdentity(), ...env } });
    expect(drift.exitCode).toBe(1);
    expect(drift.json.clients.find((c) => c.client === 'beta')).toMatchObject({ sealed: 'differs', inSync: false });
    expect(drift.stderr + drift.stdout).toContain('secrets seal');
    // status says it too, in the client's secrets drift.
    const status = await fleet.cliJson<{ clients: { client: string; secrets: { sealed: string; inSync: boolean } }[] }>(
      ['status', 'beta', '--local'],
      {
        env: { ...noIdentity(), ...env },
      },
    );
    expect(status.json.clients[0]?.secrets).toMatchObject({ sealed: 'differs', inSync: false });
    // In the clone there is no plain file: the sealed copy alone.
    const cloned = await fleet.cliJson<Status>(['secrets', 'status', 'beta', '--local'], {
      cwd: cloneDir,
      env: { ...noIdentity(), ...env },
    });
    expect(cloned.json.clients[0]?.sealed).toBe('sealed-only');
  }, 120_000);

  test('doctor: a sealed-only client with no identity here fails, with the fix; with the identity it passes', async () => {
    type Doctor = { ok: boolean; checks: { id: string; status: string; fix: string | null }[] };
    const blind = await fleet.cliJson<Doctor>(['doctor', '--local'], { cwd: cloneDir, env: noIdentity() });
    expect(blind.exitCode).toBe(1);
    const identity = blind.json.checks.find((check) => check.id === 'sealed.identity');
    expect(identity?.status).toBe('fail');
    expect(identity?.fix).toContain('MCP_FLEET_AGE_IDENTITY');
    const seeing = await fleet.cliJson<Doctor>(['doctor', '--local'], {
      cwd: cloneDir,
      env: { ...noIdentity(), MCP_FLEET_AGE_IDENTITY: identities.bob.identity },
    });
    expect(seeing.json.checks.find((check) => check.id === 'sealed.identity')?.status).toBe('ok');
    expect(seeing.json.checks.filter((check) => check.id.startsWith('sealed.') && check.status !== 'ok')).toEqual([]);
  }, 120_000);

  test('secrets unseal writes the plain 0600 file and never overwrites one that differs', async () => {
    const env = { MCP_FLEET_AGE_IDENTITY: identities.bob.identity };
    const unsealed = await inClone(['secrets', 'unseal', 'beta'], env);
    expect(unsealed.exitCode, unsealed.stderr).toBe(0);
    const { stat } = await import('node:fs/promises');
    expect((await stat(join(cloneDir, '.secrets.beta'))).mode & 0o777).toBe(0o600);
    await writeFile(join(cloneDir, '.secrets.beta'), `${await readFile(join(cloneDir, '.secrets.beta'), 'utf8')}# edited\n`);
    const refused = await inClone(['secrets', 'unseal', 'beta'], env);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('.secrets.beta differs from .secrets.beta.age');
  }, 120_000);
});
