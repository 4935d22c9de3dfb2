import { lstat, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import type { ListJson, RemoveJson, RestoreJson } from '../../src/ui/json/index.js';
import { binPath, repoRoot } from '../helpers/cli.js';
import { closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';

/**
 * Offboarding and restoring through the built binary against one local edge: `remove` says what
 * becomes of the worker (which keeps serving with a working key unless it is deleted), deletes the
 * worker a client removed earlier left behind, and `restore` brings a removed client back.
 *
 * Tests run in any order: beforeAll deploys every client, and each test works on clients of its
 * own (acme stays, a neighbour whose worker must never be touched).
 */

const CLIENTS = ['acme', 'kappa', 'lambda', 'nu', 'xi', 'pi', 'zeta'];
let fleet: TestFleet;
let acmeKey: string;

beforeAll(async () => {
  fleet = await createTestFleet('offboard', CLIENTS);
  const deployed = await fleet.cli(['deploy', '--all', '--local', '--no-verify']);
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.stdout}\n${deployed.stderr}`);
  acmeKey = await apiKey('acme');
}, 300_000);

afterAll(() => closeTestFleet(fleet));

const configPath = () => join(fleet.dir, 'wrangler.jsonc');
const secretsPath = (client: string) => join(fleet.dir, `.secrets.${client}`);
const removedDir = () => join(fleet.dir, '.mcp-fleet', 'removed');

async function apiKey(client: string): Promise<string> {
  return (await fleet.secrets(client)).get('API_KEY') as string;
}

/** The project's files a remove or restore changes: the config and every secrets file, byte for byte. */
async function projectFiles(): Promise<Record<string, string>> {
  const names = (await readdir(fleet.dir)).filter((name) => name === 'wrangler.jsonc' || name.startsWith('.secrets.'));
  return Object.fromEntries(await Promise.all(names.sort().map(async (name) => [name, await readFile(join(fleet.dir, name), 'utf8')])));
}

/** Runs a command line mcp-fleet printed, as a person pastes it into a shell in the project. */
async function runPrinted(line: string) {
  return execa('sh', ['-c', line], { cwd: fleet.dir, env: { CI: '1', NO_COLOR: '1' }, reject: false, timeout: 120_000 });
}

function printedLine(text: string, label: RegExp): string {
  const line = new RegExp(`${label.source}\\s*(.+)`).exec(text)?.[1]?.trim();
  expect(line, text).toBeDefined();
  return line ?? 'false';
}

describe('remove says what becomes of the worker', () => {
  test('without --delete-worker or --keep-worker it is exit 2 naming both, and every file and the worker stay', async () => {
    const before = await projectFiles();
    const key = await apiKey('zeta');
    for (const args of [
      ['remove', 'zeta', '--yes'],
      ['remove', 'zeta'],
    ]) {
      const result = await fleet.cli(args);
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr).toContain('--delete-worker');
      expect(result.stderr).toContain('--keep-worker');
      expect(result.stderr).toContain('keeps serving with its key');
      expect(result.stderr).not.toMatch(/this is a bug|unexpected error/i);
    }
    expect(await projectFiles()).toEqual(before);
    expect(await fleet.accepts('zeta', key)).toBe(true);
  });

  test('--keep-worker says plainly that the worker still serves with its key, and the line it prints deletes it later', async () => {
    const key = await apiKey('kappa');
    // The refusal's own "keep it serving" line, as printed.
    const refused = await fleet.cli(['remove', 'kappa', '--local', '--yes']);
    expect(refused.exitCode).toBe(2);
    const keep = await runPrinted(printedLine(refused.stderr, /Keep it serving:/));
    expect(keep.exitCode, keep.stderr).toBe(0);
    fleet.leaks.record('remove --keep-worker', keep.stdout + keep.stderr);
    expect(keep.stderr).toContain("worker kappa was not deleted: if it was deployed, it is still serving, and kappa's key still opens it");
    expect(await fleet.accepts('kappa', key)).toBe(true);
    const list = await fleet.cliJson<ListJson>(['list']);
    expect(list.json.map((client) => client.client)).not.toContain('kappa');

    const later = printedLine(keep.stdout, /delete it later:/);
    expect(later).toContain('remove kappa --delete-worker');
    expect(later).toContain('--local');
    const deleted = await runPrinted(later);
    expect(deleted.exitCode, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain('deleted worker kappa on the local edge (kappa was removed from the config earlier)');
    expect(await fleet.remoteSecrets('kappa')).toBeUndefined();
    expect(await fleet.accepts('kappa', key)).toBe(false);
    expect(await fleet.accepts('acme', acmeKey)).toBe(true);
  });

  test('at a terminal, remove asks what becomes of the worker', async () => {
    const key = await apiKey('pi');
    const child = execa('script', ['-qec', `stty cols 160 rows 40; ${process.execPath} ${binPath} remove pi --local`, '/dev/null'], {
      cwd: fleet.dir,
      env: { CI: '', NO_COLOR: '1' },
      reject: false,
      timeout: 60_000,
    });
    let screen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const before = screen;
      screen += chunk.toString();
      // Down to "keep it serving", then Enter.
      if (!before.includes('keep it serving') && screen.includes('keep it serving')) child.stdin?.write('\u001b[B\r');
    });
    const result = await child;
    fleet.leaks.record('the terminal of remove pi', screen);
    expect(result.exitCode, screen).toBe(0);
    expect(screen).toContain('Its worker pi:');
    expect(screen).toContain('was not deleted');
    expect(await fleet.accepts('pi', key)).toBe(true);
    const restored = await fleet.cli(['restore', 'pi']);
    expect(restored.exitCode, restored.stderr).toBe(0);
  });
});

describe('remove --delete-worker of a client removed earlier', () => {
  test('deletes its worker after confirmation; without --yes and no terminal it is exit 2 and the worker stays', async () => {
    const key = await apiKey('nu');
    expect((await fleet.cli(['remove', 'nu', '--keep-worker', '--yes'])).exitCode).toBe(0);
    const again = await fleet.cli(['remove', 'nu', '--keep-worker', '--local', '--yes']);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('nu is not a client');
    expect(again.stderr).toMatch(
      /bring it back with \S+.* restore nu, or delete the worker it left with \S+.* remove nu --delete-worker --yes --local/,
    );
    const unconfirmed = await fleet.cli(['remove', 'nu', '--delete-worker', '--local']);
    expect(unconfirmed.exitCode).toBe(2);
    expect(unconfirmed.stderr).toContain('deleting worker nu of nu needs confirmation');
    expect(await fleet.accepts('nu', key)).toBe(true);

    const deleted = await fleet.cliJson<RemoveJson>(['remove', 'nu', '--delete-worker', '--local', '--yes']);
    expect(deleted.exitCode, deleted.stderr).toBe(0);
    expect(deleted.json).toMatchObject({ client: 'nu', alreadyRemoved: true, worker: { worker: 'nu', outcome: 'deleted' } });
    expect(await fleet.accepts('nu', key)).toBe(false);
    expect(await fleet.accepts('acme', acmeKey)).toBe(true);
    // Its kept files stay: it can still come back (and be deployed again).
    expect((await fleet.cli(['restore', 'nu'])).exitCode).toBe(0);
  });

  test('finds the worker by its tags when the project kept nothing of the client', async () => {
    const key = await apiKey('xi');
    expect((await fleet.cli(['remove', 'xi', '--keep-worker', '--yes'])).exitCode).toBe(0);
    // As if it had been offboarded by hand: nothing of it in the project any more.
    for (const name of await readdir(removedDir())) if (name.startsWith('xi.')) await rm(join(removedDir(), name));
    const deleted = await fleet.cli(['remove', 'xi', '--delete-worker', '--local', '--yes']);
    expect(deleted.exitCode, deleted.stderr).toBe(0);
    expect(await fleet.accepts('xi', key)).toBe(false);

    const unknown = await fleet.cli(['remove', 'never-here', '--delete-worker', '--local', '--yes']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('never-here is not a client, and nothing shows this project had it');
  });

  test('refuses a worker that a client of the config deploys now, and deletes nothing', async () => {
    const key = await apiKey('lambda');
    const before = { config: await readFile(configPath(), 'utf8'), secrets: await readFile(secretsPath('lambda')) };
    onTestFinished(async () => {
      await writeFile(configPath(), before.config);
      await writeFile(secretsPath('lambda'), before.secrets, { mode: 0o600 });
      await rm(secretsPath('omicron'), { force: true });
    });
    expect((await fleet.cli(['remove', 'lambda', '--keep-worker', '--yes'])).exitCode).toBe(0);
    // A new client made to deploy the removed client's worker.
    await fleet.add('omicron');
    await writeFile(configPath(), (await readFile(configPath(), 'utf8')).replace('"name": "omicron"', '"name": "lambda"'));
    const refused = await fleet.cli(['remove', 'lambda', '--delete-worker', '--local', '--yes']);
    expect(refused.exitCode, refused.stderr).toBe(2);
    expect(refused.stderr).toContain('worker lambda, which lambda deployed, is the worker of client omicron now; nothing was deleted');
    expect(await fleet.accepts('lambda', key)).toBe(true);
  });
});

describe('restore', () => {
  test('brings back a removed client: its section and secrets file byte for byte, and its key still opens its worker', async () => {
    const before = { config: await readFile(configPath(), 'utf8'), secrets: await readFile(secretsPath('zeta')) };
    const key = await apiKey('zeta');
    expect((await fleet.cli(['remove', 'zeta', '--keep-worker', '--yes'])).exitCode).toBe(0);
    expect(await readFile(configPath(), 'utf8')).not.toBe(before.config);

    const restored = await fleet.cliJson<RestoreJson>(['restore', 'zeta']);
    expect(restored.exitCode, restored.stderr).toBe(0);
    expect(restored.json).toMatchObject({ client: 'zeta', worker: 'zeta', section: 'exact', secretsFile: secretsPath('zeta') });
    expect(await readFile(configPath(), 'utf8')).toBe(before.config);
    expect(await readFile(secretsPath('zeta'))).toEqual(before.secrets);
    expect((await lstat(secretsPath('zeta'))).mode & 0o777).toBe(0o600);
    const verify = await fleet.cli(['verify', 'zeta', '--local']);
    expect(verify.exitCode, verify.stdout + verify.stderr).toBe(0);
    expect(await fleet.accepts('zeta', key)).toBe(true);

    const again = await fleet.cli(['restore', 'zeta']);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('zeta is a client already');
  });

  test('into a config changed since, the section comes back as written, as the last env section', async () => {
    const before = await readFile(secretsPath('lambda'));
    const section = /\n {4}"lambda": \{[\s\S]*?\n {4}\}/.exec(await readFile(configPath(), 'utf8'))?.[0];
    expect(section).toBeDefined();
    expect((await fleet.cli(['remove', 'lambda', '--keep-worker', '--yes'])).exitCode).toBe(0);
    await fleet.add('mu');
    onTestFinished(async () => {
      await fleet.cli(['remove', 'mu', '--keep-worker', '--yes']);
    });
    const restored = await fleet.cliJson<RestoreJson>(['restore', 'lambda']);
    expect(restored.exitCode, restored.stderr).toBe(0);
    expect(restored.json.section).toBe('appended');
    const config = await readFile(configPath(), 'utf8');
    expect(config).toContain(section);
    expect(config.indexOf('"lambda"')).toBeGreaterThan(config.indexOf('"mu"'));
    expect(await readFile(secretsPath('lambda'))).toEqual(before);
    const list = await fleet.cliJson<ListJson>(['list']);
    expect(list.json.find((client) => client.client === 'lambda')).toMatchObject({ worker: 'lambda', secrets: { file: 'present' } });
  });

  test('the top-level worker made a client comes back by its secrets file; its settings never left', async () => {
    const config = await readFile(configPath(), 'utf8');
    onTestFinished(async () => {
      await writeFile(configPath(), config);
      await rm(secretsPath('fleet'), { force: true });
    });
    const added = await fleet.cli(['add', 'fleet', '--default', '--local', '--yes']);
    expect(added.exitCode, added.stderr).toBe(0);
    const before = { config: await readFile(configPath(), 'utf8'), secrets: await readFile(secretsPath('fleet')) };
    const removed = await fleet.cliJson<RemoveJson>(['remove', 'fleet', '--keep-worker', '--yes']);
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.json.configChanged).toBe(false);
    const restored = await fleet.cliJson<RestoreJson>(['restore', 'fleet']);
    expect(restored.exitCode, restored.stderr).toBe(0);
    expect(restored.json).toMatchObject({ client: 'fleet', worker: 'fleet', section: 'top-level' });
    expect(await readFile(configPath(), 'utf8')).toBe(before.config);
    expect(await readFile(secretsPath('fleet'))).toEqual(before.secrets);
    const list = await fleet.cliJson<ListJson>(['list']);
    expect(list.json[0]).toMatchObject({ client: 'fleet', env: null });
  });

  test('with nothing kept it is exit 2 listing what can be restored', async () => {
    expect((await fleet.cli(['remove', 'pi', '--keep-worker', '--yes'])).exitCode).toBe(0);
    onTestFinished(async () => {
      await fleet.cli(['restore', 'pi']);
    });
    const before = await projectFiles();
    const result = await fleet.cli(['restore', 'nobody']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('nothing of nobody was kept in .mcp-fleet/removed/');
    expect(result.stderr).toMatch(/Restorable: .*pi \(removed \d{4}-/);
    expect(result.stderr).not.toMatch(/Restorable: .*acme/);
    expect(await projectFiles()).toEqual(before);
  });

  test('remove points to restore, and the README and docs advise restore rather than moving files back', async () => {
    const docs = await Promise.all(
      ['README.md', 'docs/secrets.md', 'docs/commands.md'].map((path) => readFile(join(repoRoot, path), 'utf8')),
    );
    for (const text of docs) expect(text).not.toMatch(/mov(e|ing) (it|a file) back/i);
    expect(docs[0]).toContain('restore <client>');
    expect((await fleet.cli(['remove', 'pi', '--keep-worker', '--yes'])).stdout).toContain('bring it back with:');
    expect((await fleet.cli(['restore', 'pi'])).exitCode).toBe(0);
  });
});
