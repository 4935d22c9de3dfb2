import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { createSecretsApi } from '../../src/cloudflare/api.js';
import { localTarget } from '../../src/cloudflare/local-target.js';
import { Pacer } from '../../src/cloudflare/pacer.js';
import { entriesToMap, parseSecrets } from '../../src/secrets/dotfile.js';
import type { ClientFailureJson, FailureJson, FleetJson, ListJson, RotateJson } from '../../src/ui/json/index.js';
import { binPath, runCli, tempDir } from '../helpers/cli.js';
import { closeTestFleet, createTestFleet, randomValue, type TestFleet } from '../helpers/fleet.js';

/**
 * Secrets files under crashes, stale remote state, odd files
 * and hostile input, through the built binary against one local edge. The fleet (acme, beta) is
 * deployed once and is a git repository, as a real project is; every test leaves it as it found it
 * (deployed, in sync, nothing staged or tracked that was not), so the tests run in any order.
 */

let fleet: TestFleet;
let hook: string;

const git = (...args: string[]) => execa('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: fleet.dir });

beforeAll(async () => {
  fleet = await createTestFleet('trust-secrets', ['acme', 'beta']);
  const deployed = await fleet.cli(['deploy', '--all', '--local', '--no-verify']);
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.stdout}\n${deployed.stderr}`);
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'the fleet');
  hook = join(fleet.dir, '..', 'hang-on-rename.mjs');
  await writeFile(hook, HANG_ON_RENAME);
}, 300_000);

afterAll(() => closeTestFleet(fleet));

/**
 * Loaded into the mcp-fleet process with --import: the rename that would put `<target>` in place
 * never happens; the process writes a marker and waits there, to be SIGKILLed at exactly the moment
 * a crash is most dangerous (the new content complete in the temp file, the target not yet replaced).
 */
const HANG_ON_RENAME = `
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { basename } from 'node:path';
const target = process.env.MCP_FLEET_TEST_HANG_RENAME;
const marker = process.env.MCP_FLEET_TEST_MARKER;
const rename = fs.promises.rename;
fs.promises.rename = async (from, to) => {
  if (basename(String(to)) !== target) return rename(from, to);
  fs.writeFileSync(marker, basename(String(from)));
  setInterval(() => {}, 60_000);
  return new Promise(() => {});
};
syncBuiltinESMExports();
`;

/** Runs mcp-fleet until it is about to rename a temp file onto `target`, SIGKILLs it there, and returns the temp file's name. */
async function killBeforeRename(args: readonly string[], target: string, env: Record<string, string> = {}): Promise<string> {
  const marker = join(fleet.dir, '..', `marker-${Date.now()}`);
  const child = execa(process.execPath, [binPath, ...args], {
    cwd: fleet.dir,
    env: {
      CI: '1',
      NO_COLOR: '1',
      NODE_OPTIONS: `--import=${hook}`,
      MCP_FLEET_TEST_HANG_RENAME: target,
      MCP_FLEET_TEST_MARKER: marker,
      ...env,
    },
    reject: false,
  });
  let exited = false;
  void child.then(() => {
    exited = true;
  });
  const deadline = Date.now() + 60_000;
  while (!existsSync(marker)) {
    if (Date.now() > deadline || exited) throw new Error(`mcp-fleet ${args.join(' ')} never reached the rename of ${target}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  process.kill(child.pid as number, 'SIGKILL');
  const result = await child;
  expect(result.signal).toBe('SIGKILL');
  const temp = await readFile(marker, 'utf8');
  await rm(marker);
  return temp;
}

/** What `git add -A` would stage now (then unstaged again). */
async function stagedByAddAll(): Promise<string[]> {
  await git('add', '-A');
  const staged = (await git('diff', '--cached', '--name-only')).stdout.split('\n').filter(Boolean);
  await git('reset', '-q');
  return staged;
}

async function leftoverTemps(): Promise<string[]> {
  return (await readdir(fleet.dir)).filter((name) => name.endsWith('.tmp') || name.endsWith('.mcp-fleet-tmp'));
}

async function secretsOf(client: string): Promise<Map<string, string>> {
  const path = join(fleet.dir, `.secrets.${client}`);
  return entriesToMap(parseSecrets(await readFile(path, 'utf8'), path));
}

async function apiKey(client: string): Promise<string> {
  return (await secretsOf(client)).get('API_KEY') as string;
}

/** A client's secrets file as it is now, put back byte for byte (and 0600) when the test ends; for tests that change no key on the worker. */
async function original(client: string): Promise<string> {
  const path = join(fleet.dir, `.secrets.${client}`);
  const text = await readFile(path, 'utf8');
  onTestFinished(async () => {
    await writeFile(path, text, { mode: 0o600 });
    await chmod(path, 0o600);
  });
  return text;
}

/** Like original, and the worker gets the file's values back too: for tests that push or rotate a key nothing checks from outside. */
async function originalEverywhere(client: string): Promise<string> {
  const path = join(fleet.dir, `.secrets.${client}`);
  const text = await readFile(path, 'utf8');
  onTestFinished(async () => {
    await writeFile(path, text, { mode: 0o600 });
    await chmod(path, 0o600);
    const pushed = await fleet.cli(['secrets', 'push', client, '--local']);
    if (pushed.exitCode !== 0) throw new Error(`push ${client} failed:\n${pushed.stderr}`);
  });
  return text;
}

/** Backups and the pending record of a client, to show a refused command made none. */
async function backupsOf(client: string): Promise<string[]> {
  return readdir(join(fleet.dir, '.mcp-fleet', 'backups', client)).catch(() => []);
}

describe('crashes leave no secrets for git to find', () => {
  test('SIGKILL during add leaves its temp file out of `git add -A`, and the next add sweeps it', async () => {
    // An existing project's .gitignore from before the temp-file rule: the add itself must extend it.
    const gitignore = join(fleet.dir, '.gitignore');
    const before = await readFile(gitignore, 'utf8');
    onTestFinished(() => writeFile(gitignore, before));
    await writeFile(gitignore, before.replace(/^\*\.mcp-fleet-tmp\n/m, ''));
    const token = randomValue('up-delta');
    fleet.leaks.addSecret(token, 'UPSTREAM_TOKEN of delta');
    onTestFinished(async () => {
      await fleet.cli(['remove', 'delta', '--keep-worker', '--yes']);
    });

    const temp = await killBeforeRename(['add', 'delta', '--from-env', '--yes'], '.secrets.delta', { UPSTREAM_TOKEN: token });
    // The dangerous moment was hit: the temp file holds the generated key and the client's token.
    const leftover = await readFile(join(fleet.dir, temp), 'utf8');
    expect(leftover).toMatch(/^API_KEY=.{43}$/m);
    expect(leftover).toContain(token);
    expect(await readFile(gitignore, 'utf8')).toMatch(/^\*\.mcp-fleet-tmp$/m);
    const staged = await stagedByAddAll();
    expect(staged).not.toContain(temp);
    expect(staged.filter((name) => name.includes('secrets'))).toEqual([]);

    const again = await fleet.cli(['add', 'delta', '--from-env', '--yes'], { env: { UPSTREAM_TOKEN: token } });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(await leftoverTemps()).toEqual([]);
  });

  test('SIGKILL while add writes wrangler.jsonc leaves an ignored temp file; the next run sweeps it', async () => {
    const config = await readFile(join(fleet.dir, 'wrangler.jsonc'), 'utf8');
    onTestFinished(async () => {
      await writeFile(join(fleet.dir, 'wrangler.jsonc'), config);
      await rm(join(fleet.dir, '.secrets.echo'), { force: true });
    });
    const temp = await killBeforeRename(['add', 'echo', '--yes'], 'wrangler.jsonc');
    expect(await readFile(join(fleet.dir, temp), 'utf8')).toContain('"echo"');
    expect(await stagedByAddAll()).not.toContain(temp);

    // The killed add left .secrets.echo without its env section; the re-run takes it back (no --force) and sweeps.
    const again = await fleet.cli(['add', 'echo', '--yes']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(await leftoverTemps()).toEqual([]);
    const removed = await fleet.cli(['remove', 'echo', '--keep-worker', '--yes']);
    expect(removed.exitCode, removed.stderr).toBe(0);
  });

  test('SIGKILL while rotate saves the new key: the temp file stays out of git; the re-run finishes and sweeps it', async () => {
    const oldKey = await apiKey('beta');
    const temp = await killBeforeRename(['secrets', 'rotate', 'beta', '--local'], '.secrets.beta');
    const newKey = /^API_KEY=(.*)$/m.exec(await readFile(join(fleet.dir, temp), 'utf8'))?.[1] as string;
    fleet.leaks.addSecret(newKey, 'the new API_KEY of beta, in a killed rotation');
    expect(newKey).not.toBe(oldKey);
    expect(await stagedByAddAll()).not.toContain(temp);

    const resumed = await fleet.cliJson<RotateJson>(['secrets', 'rotate', 'beta', '--local']);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(resumed.json.clients[0]).toMatchObject({ ok: true, resumed: true, reached: 'proven' });
    expect(await apiKey('beta')).toBe(newKey);
    expect(await leftoverTemps()).toEqual([]);
  });
});

describe('rotation leaves exactly the keys the file names', () => {
  test('a remote-only API_KEY_PREVIOUS does not outlive rotate, and the proof checks the keys in the backups', async () => {
    // The key from two rotations ago, still on the worker as API_KEY_PREVIOUS (a backup without it
    // was restored into .secrets.acme), and in the client's backups as it would be.
    const ancient = randomValue('two-rotations-ago');
    fleet.leaks.addSecret(ancient, 'the API_KEY of acme from two rotations ago');
    const backups = join(fleet.dir, '.mcp-fleet', 'backups', 'acme');
    await mkdir(backups, { recursive: true, mode: 0o700 });
    await writeFile(join(backups, '2000-01-01T00-00-00-000Z.rotate.secrets'), `API_KEY=${ancient}\nUPSTREAM_TOKEN=x\n`, { mode: 0o600 });
    const api = createSecretsApi(await localTarget(fleet.dir), { pacer: new Pacer([{ requests: 100, windowMs: 1_000 }]) });
    expect(await api.bulkSetSecrets('acme', new Map([['API_KEY_PREVIOUS', ancient]]))).toBe('ok');
    expect(await fleet.eventuallyAccepts('acme', ancient)).toBe(true);
    expect((await secretsOf('acme')).has('API_KEY_PREVIOUS')).toBe(false);
    const oldKey = await apiKey('acme');

    const result = await fleet.cliJson<RotateJson>(['secrets', 'rotate', 'acme', '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await fleet.refuses('acme', ancient)).toBe(true);
    expect(await fleet.refuses('acme', oldKey)).toBe(true);
    expect(await fleet.accepts('acme', await apiKey('acme'))).toBe(true);
    expect((await fleet.remoteSecrets('acme'))?.sort()).toEqual(['API_KEY', 'UPSTREAM_SIGNING_KEY', 'UPSTREAM_TOKEN']);
    expect(result.json.clients[0]?.proof).toMatchObject({ ok: true, oldRefused: true, staleRefused: true });
    expect(result.json.clients[0]?.proof?.staleChecked).toBeGreaterThanOrEqual(1);
  });
});

describe('line endings and symbolic links', () => {
  test('rotate keeps CRLF line endings', async () => {
    const path = join(fleet.dir, '.secrets.acme');
    const crlf = (await readFile(path, 'utf8')).replace(/\n/g, '\r\n');
    // Back to LF afterwards, with whichever key the worker has by then.
    onTestFinished(async () => writeFile(path, (await readFile(path, 'utf8')).replace(/\r\n/g, '\n'), { mode: 0o600 }));
    await writeFile(path, crlf, { mode: 0o600 });
    const oldKey = await apiKey('acme');
    const result = await fleet.cliJson<RotateJson>(['secrets', 'rotate', 'acme', '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    const after = await readFile(join(fleet.dir, '.secrets.acme'), 'utf8');
    const newKey = await apiKey('acme');
    expect(newKey).not.toBe(oldKey);
    expect(after.replace(/\r\n/g, '')).not.toContain('\n');
    expect(after).toBe(crlf.replace(`API_KEY=${oldKey}\r\n`, `API_KEY=${newKey}\r\n`));
  });

  test('a symlinked secrets file is refused (exit 2) by rotate, push and deploy; the link and its target stay as they were', async () => {
    const path = join(fleet.dir, '.secrets.beta');
    const outside = join(fleet.dir, '..', 'beta-secrets-elsewhere');
    await rename(path, outside);
    await symlink(outside, path);
    onTestFinished(async () => {
      await rm(path, { force: true });
      await rename(outside, path);
    });
    const target = await readFile(outside, 'utf8');
    const backups = await backupsOf('beta');
    for (const args of [
      ['secrets', 'rotate', 'beta', '--local'],
      ['secrets', 'push', 'beta', '--local'],
      ['deploy', 'beta', '--local'],
    ]) {
      const result = await fleet.cliJson<FleetJson<{ error: ClientFailureJson | undefined }>>(args);
      expect(result.exitCode, `${args.join(' ')}\n${result.stderr}`).toBe(2);
      expect(result.json.clients[0]?.error?.message).toContain('.secrets.beta is a symbolic link');
    }
    expect((await lstat(path)).isSymbolicLink()).toBe(true);
    expect(await readFile(outside, 'utf8')).toBe(target);
    expect(await backupsOf('beta')).toEqual(backups);
  });
});

describe('errors name file, line and key, never a value', () => {
  test('a malformed line holding a pasted token is not echoed by list --json, push or rotate', async () => {
    const text = await original('acme');
    // A pasted base64 token: its "=" padding makes the line look like KEY=VALUE with an invalid key.
    const pasted = 'c2stbGl2ZS1wYXN0ZWQ+dG9rZW4/c2VjcmV0LXZhbHVl==';
    fleet.leaks.addSecret(pasted.slice(0, -2), 'a token pasted into .secrets.acme');
    await writeFile(join(fleet.dir, '.secrets.acme'), `${text}${pasted}\n`, { mode: 0o600 });
    const line = text.split('\n').length;

    const list = await fleet.cliJson<ListJson>(['list']);
    expect(list.json.find((row) => row.client === 'acme')?.secrets).toMatchObject({
      file: 'invalid',
      error: expect.stringContaining(`:${line}: `),
    });
    for (const args of [
      ['secrets', 'push', 'acme', '--local'],
      ['secrets', 'rotate', 'acme', '--local'],
    ]) {
      const result = await fleet.cliJson<FleetJson<{ error: ClientFailureJson | undefined }>>(args);
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.json.clients[0]?.error?.message).toContain(`.secrets.acme:${line}: the text before "=" is not a valid key`);
      expect(result.stdout + result.stderr).not.toContain('c2stbGl2ZS1wYXN0ZWQ');
    }
    expect(list.stdout + list.stderr).not.toContain('c2stbGl2ZS1wYXN0ZWQ');
    expect(await backupsOf('acme')).not.toContain('pending-rotation');
  });

  test('--set with a bare value (no "=") does not echo it', async () => {
    // Not given to the leak watch: it is on this command line on purpose, as a user would put it there.
    const value = randomValue('bare-set-value');
    const human = await fleet.cli(['add', 'zeta', '--set', value, '--yes']);
    const json = await fleet.cli(['--json', 'add', 'zeta', '--set', value, '--yes']);
    for (const result of [human, json]) {
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain('--set');
      expect(result.stdout + result.stderr).not.toContain(value);
    }
    expect(JSON.parse(json.stdout) as FailureJson).toMatchObject({ ok: false, error: { exitCode: 2 } });
    expect(existsSync(join(fleet.dir, '.secrets.zeta'))).toBe(false);
  });
});

describe('secret hygiene', () => {
  test('rotate refuses a git-tracked secrets file (exit 2) and changes nothing', async () => {
    const text = await readFile(join(fleet.dir, '.secrets.beta'), 'utf8');
    const key = await apiKey('beta');
    const backups = await backupsOf('beta');
    await git('add', '-f', '.secrets.beta');
    onTestFinished(async () => {
      await git('rm', '--cached', '-q', '.secrets.beta');
    });
    const result = await fleet.cliJson<RotateJson>(['secrets', 'rotate', 'beta', '--local']);
    expect(result.exitCode).toBe(2);
    expect(result.json.clients[0]?.error?.message).toContain('.secrets.beta is tracked by git');
    expect(result.json.clients[0]?.error?.hint).toContain('git rm --cached');
    expect(await readFile(join(fleet.dir, '.secrets.beta'), 'utf8')).toBe(text);
    expect(await backupsOf('beta')).toEqual(backups);
    expect(await fleet.accepts('beta', key)).toBe(true);
  });

  test('a secrets file readable by others is made 0600 by push and rotate, and rotate says so', async () => {
    const path = join(fleet.dir, '.secrets.acme');
    onTestFinished(() => chmod(path, 0o600));
    await chmod(path, 0o644);
    const push = await fleet.cli(['secrets', 'push', 'acme', '--local']);
    expect(push.exitCode, push.stderr).toBe(0);
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    await chmod(path, 0o644);
    const rotate = await fleet.cliJson<RotateJson>(['secrets', 'rotate', 'acme', '--local']);
    expect(rotate.exitCode, rotate.stderr).toBe(0);
    // Said once, on stderr, by the read itself (every command's reads: hardening/mishandled-secrets-files), not again in the report.
    expect(rotate.stderr.match(/\.secrets\.acme was readable by other users \(mode 0644\)/g)).toHaveLength(1);
    expect(rotate.json.clients[0]?.warnings).toEqual([]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  test('a whitespace-only or short API_KEY fails preflight (exit 2); push and deploy send nothing', async () => {
    const text = await original('acme');
    const key = await apiKey('acme');
    for (const [value, reason] of [
      // Under 8 characters, so that the leak watch does not look for it (runs of spaces are everywhere).
      [' \t  \t ', 'only whitespace'],
      ['short-key-1', '11 bytes long'],
    ] as const) {
      await writeFile(join(fleet.dir, '.secrets.acme'), text.replace(`API_KEY=${key}\n`, `API_KEY=${value}\n`), { mode: 0o600 });
      const since = await fleet.lastSeq();
      for (const args of [
        ['secrets', 'push', 'acme', '--local'],
        ['deploy', 'acme', '--local', '--no-verify'],
      ]) {
        const result = await fleet.cliJson<FleetJson<{ error: ClientFailureJson | undefined }>>(args);
        expect(result.exitCode, `${args.join(' ')}\n${result.stderr}`).toBe(2);
        expect(result.json.clients[0]?.error?.message).toContain(reason);
        expect(result.stdout + result.stderr).not.toContain('short-key-1');
      }
      expect((await fleet.requests(since)).filter((call) => call.script === 'acme')).toEqual([]);
    }
    expect(await fleet.accepts('acme', key)).toBe(true);
  });

  test('rotate --key UPSTREAM_TOKEN never makes up a value: refused without one, taken with --from-env', async () => {
    const text = await originalEverywhere('beta');
    const before = (await secretsOf('beta')).get('UPSTREAM_TOKEN');
    const refused = await fleet.cli(['secrets', 'rotate', 'beta', '--key', 'UPSTREAM_TOKEN', '--local']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('--from-env');
    expect(await readFile(join(fleet.dir, '.secrets.beta'), 'utf8')).toBe(text);

    const token = randomValue('new-upstream-beta');
    fleet.leaks.addSecret(token, 'the new UPSTREAM_TOKEN of beta');
    const both = await fleet.cli(['secrets', 'rotate', 'acme', 'beta', '--key', 'UPSTREAM_TOKEN', '--from-env', '--local'], {
      env: { UPSTREAM_TOKEN: token },
    });
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('each client');
    expect((await fleet.cli(['secrets', 'rotate', 'beta', '--from-env', '--local'], { env: { API_KEY: token } })).exitCode).toBe(2);
    expect(await readFile(join(fleet.dir, '.secrets.beta'), 'utf8')).toBe(text);

    const rotated = await fleet.cliJson<RotateJson>(['secrets', 'rotate', 'beta', '--key', 'UPSTREAM_TOKEN', '--from-env', '--local'], {
      env: { UPSTREAM_TOKEN: token },
    });
    expect(rotated.exitCode, rotated.stderr).toBe(0);
    expect(rotated.json.clients[0]).toMatchObject({ key: 'UPSTREAM_TOKEN', ok: true, reached: 'saved' });
    expect((await secretsOf('beta')).get('UPSTREAM_TOKEN')).toBe(token);
    expect(before).not.toBe(token);
  });

  test('at a terminal, rotate --key UPSTREAM_TOKEN asks for the new value with masked input', async () => {
    await originalEverywhere('beta');
    const typed = randomValue('typed-upstream-beta');
    fleet.leaks.addSecret(typed, 'the UPSTREAM_TOKEN of beta typed at the prompt');
    // `script` gives the command a pseudo-terminal; the value is typed once the prompt is drawn.
    const child = execa(
      'script',
      ['-qec', `stty cols 120 rows 40; ${process.execPath} ${binPath} secrets rotate beta --key UPSTREAM_TOKEN --local`, '/dev/null'],
      { cwd: fleet.dir, env: { CI: '', NO_COLOR: '1' }, reject: false, timeout: 60_000 },
    );
    let screen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const before = screen;
      screen += chunk.toString();
      if (!before.includes('UPSTREAM_TOKEN for beta') && screen.includes('UPSTREAM_TOKEN for beta')) child.stdin?.write(`${typed}\r`);
    });
    const result = await child;
    fleet.leaks.record('the terminal of rotate --key UPSTREAM_TOKEN', screen);
    expect(result.exitCode, screen).toBe(0);
    expect(screen).not.toContain(typed);
    expect((await secretsOf('beta')).get('UPSTREAM_TOKEN')).toBe(typed);
  });

  test('the node_modules link of `init --deps link` is ignored by git', async () => {
    const { dir, cleanup } = await tempDir('mcp-fleet-trust-init-');
    onTestFinished(cleanup);
    const project = join(dir, 'fleet');
    const init = await runCli(['init', project]);
    expect(init.exitCode, init.stderr).toBe(0);
    expect((await lstat(join(project, 'node_modules'))).isSymbolicLink()).toBe(true);
    await execa('git', ['init', '-q'], { cwd: project });
    const status = await execa('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: project });
    expect(status.stdout.split('\n').filter((line) => line.includes('node_modules'))).toEqual([]);
  });
});
