import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { removeEnvSection } from '../../src/config/wrangler-config.js';
import { entriesToMap, parseSecrets } from '../../src/secrets/dotfile.js';
import type { AddJson, ListJson } from '../../src/ui/json/index.js';
import { binPath } from '../helpers/cli.js';
import { closeTestFleet, createTestFleet, randomValue, type TestFleet } from '../helpers/fleet.js';

/**
 * Hostile 9: `add` killed (SIGKILL, Ctrl-C) between its writes. Either nothing or a whole client
 * comes of it, and a re-run converges without --force. The kill is real, at a scripted step: a
 * fault-injection module loaded with --import (tests only; mcp-fleet has no such hook) stops the
 * process when it is about to rename a file into place or remove one, and the test kills it there.
 */

let fleet: TestFleet;
let hook: string;

beforeAll(async () => {
  fleet = await createTestFleet('interrupted-add', []);
  hook = join(fleet.dir, '..', 'fault-injection.mjs');
  await writeFile(hook, FAULT_INJECTION);
}, 120_000);

afterAll(() => closeTestFleet(fleet));

/**
 * Fault injection, for tests only: `MCP_FLEET_TEST_FAULT_AT=rename:<name>` stops the rename that
 * would put `<name>` in place, `rm:<name>` the removal of `<name>`. It writes the marker file,
 * then hangs there (to be killed) or, with MCP_FLEET_TEST_FAULT_MODE=delay, goes on after 1.5 s.
 */
const FAULT_INJECTION = `
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { basename } from 'node:path';
const [op, target] = (process.env.MCP_FLEET_TEST_FAULT_AT ?? '').split(':');
const marker = process.env.MCP_FLEET_TEST_MARKER;
const delay = process.env.MCP_FLEET_TEST_FAULT_MODE === 'delay';
const original = fs.promises[op];
fs.promises[op] = async (...args) => {
  if (basename(String(args[op === 'rename' ? 1 : 0])) !== target) return original(...args);
  fs.writeFileSync(marker, basename(String(args[0])));
  if (delay) {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return original(...args);
  }
  setInterval(() => {}, 60_000);
  return new Promise(() => {});
};
syncBuiltinESMExports();
`;

/** Runs mcp-fleet until the scripted step, then sends `signal` there; returns how it ended. */
async function interrupt(
  args: readonly string[],
  at: string,
  options: { signal?: 'SIGKILL' | 'SIGINT'; env?: Record<string, string> } = {},
): Promise<{ signal: string | undefined; exitCode: number | undefined; stderr: string }> {
  const marker = join(fleet.dir, '..', `marker-${Date.now()}`);
  const signal = options.signal ?? 'SIGKILL';
  const child = execa(process.execPath, [binPath, ...args], {
    cwd: fleet.dir,
    env: {
      CI: '1',
      NO_COLOR: '1',
      NODE_OPTIONS: `--import=${hook}`,
      MCP_FLEET_TEST_FAULT_AT: at,
      MCP_FLEET_TEST_FAULT_MODE: signal === 'SIGINT' ? 'delay' : 'hang',
      MCP_FLEET_TEST_MARKER: marker,
      ...options.env,
    },
    reject: false,
  });
  let exited = false;
  void child.then(() => {
    exited = true;
  });
  const deadline = Date.now() + 60_000;
  while (!existsSync(marker)) {
    if (Date.now() > deadline || exited) throw new Error(`mcp-fleet ${args.join(' ')} never reached ${at}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  process.kill(child.pid as number, signal);
  const result = await child;
  await rm(marker);
  fleet.leaks.record(`stderr of interrupted mcp-fleet ${args.join(' ')}`, String(result.stderr));
  return { signal: result.signal, exitCode: result.exitCode, stderr: String(result.stderr) };
}

async function clients(): Promise<string[]> {
  const list = await fleet.cliJson<ListJson>(['list']);
  expect(list.exitCode, list.stderr).toBe(0);
  return list.json.map((entry) => entry.client);
}

async function journals(): Promise<string[]> {
  const backups = join(fleet.dir, '.mcp-fleet', 'backups');
  const dirs = await readdir(backups).catch(() => [] as string[]);
  return dirs.filter((client) => existsSync(join(backups, client, 'pending-add')));
}

async function tempFiles(): Promise<string[]> {
  return (await readdir(fleet.dir)).filter((name) => name.endsWith('.mcp-fleet-tmp'));
}

/** A whole client: listed, its secrets file complete, nothing of the add left behind. */
async function expectWhole(client: string): Promise<void> {
  expect(await clients()).toContain(client);
  const path = join(fleet.dir, `.secrets.${client}`);
  const values = entriesToMap(parseSecrets(await readFile(path, 'utf8'), path));
  expect(values.get('API_KEY')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(values.get('UPSTREAM_TOKEN')).not.toBe('');
  expect(await journals()).toEqual([]);
  expect(await tempFiles()).toEqual([]);
}

/** Puts the project back as it was before the test added `client`. */
async function forget(client: string): Promise<void> {
  const config = await readFile(join(fleet.dir, 'wrangler.jsonc'), 'utf8');
  onTestFinished(async () => {
    await writeFile(join(fleet.dir, 'wrangler.jsonc'), removeEnvSection(config, client));
    await rm(join(fleet.dir, `.secrets.${client}`), { force: true });
  });
}

function withToken(client: string): Record<string, string> {
  const token = randomValue(`up-${client}`);
  fleet.leaks.addSecret(token, `UPSTREAM_TOKEN of ${client}`);
  return { UPSTREAM_TOKEN: token };
}

describe('add killed between its writes: nothing or a whole client, and the re-run converges', () => {
  test('SIGKILL after the secrets file, before the section: no client; the re-run (no --force) makes it whole', async () => {
    await forget('delta');
    const killed = await interrupt(['add', 'delta', '--from-env', '--yes'], 'rename:wrangler.jsonc', { env: withToken('delta') });
    expect(killed.signal).toBe('SIGKILL');
    // Nothing: no command sees a client delta (the secrets file it left names no section).
    expect(await clients()).not.toContain('delta');
    expect(await journals()).toEqual(['delta']);

    const again = await fleet.cliJson<AddJson>(['add', 'delta', '--from-env', '--yes'], { env: withToken('delta') });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.json).toMatchObject({ resumed: false, configAdded: ['env.delta'] });
    // The file the killed add left was its own: taken back, not kept as a backup of a replaced one.
    expect(again.json.backup).toBeUndefined();
    await expectWhole('delta');
  });

  test('SIGKILL while the secrets file is written: nothing, and the temp file holding its values is swept by the re-run', async () => {
    await forget('echo');
    const killed = await interrupt(['add', 'echo', '--from-env', '--yes'], 'rename:.secrets.echo', { env: withToken('echo') });
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(join(fleet.dir, '.secrets.echo'))).toBe(false);
    expect(await clients()).not.toContain('echo');
    expect(await tempFiles()).toHaveLength(1);

    const again = await fleet.cli(['add', 'echo', '--from-env', '--yes'], { env: withToken('echo') });
    expect(again.exitCode, again.stderr).toBe(0);
    await expectWhole('echo');
  });

  test('SIGKILL after both writes, before the record goes: a whole client; the re-run says so (exit 0) and changes nothing', async () => {
    await forget('foxtrot');
    const killed = await interrupt(['add', 'foxtrot', '--from-env', '--yes'], 'rm:pending-add', { env: withToken('foxtrot') });
    expect(killed.signal).toBe('SIGKILL');
    expect(await clients()).toContain('foxtrot');
    const secrets = await readFile(join(fleet.dir, '.secrets.foxtrot'), 'utf8');
    const config = await readFile(join(fleet.dir, 'wrangler.jsonc'), 'utf8');

    const again = await fleet.cliJson<AddJson>(['add', 'foxtrot', '--from-env', '--yes'], { env: withToken('foxtrot') });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.json).toMatchObject({ client: 'foxtrot', resumed: true, configAdded: ['env.foxtrot'] });
    expect(again.stderr).toContain('foxtrot was added by an earlier add, stopped after it had written everything');
    expect(await readFile(join(fleet.dir, '.secrets.foxtrot'), 'utf8')).toBe(secrets);
    expect(await readFile(join(fleet.dir, 'wrangler.jsonc'), 'utf8')).toBe(config);
    await expectWhole('foxtrot');
  });

  test.each([
    ['while the top level is completed', 'rename:wrangler.jsonc'],
    ['after the top level was completed, before its secrets file', 'rename:.secrets.fleet'],
  ])('--default killed %s: the top-level worker is no client, and the next add leaves the top level as it was', async (_when, at) => {
    const before = await readFile(join(fleet.dir, 'wrangler.jsonc'), 'utf8');
    onTestFinished(async () => {
      await writeFile(join(fleet.dir, 'wrangler.jsonc'), before);
      await rm(join(fleet.dir, '.secrets.golf'), { force: true });
      await rm(join(fleet.dir, '.secrets.fleet'), { force: true });
    });
    const killed = await interrupt(['add', '--default', '--new-key', '--from-env', '--yes'], at, { env: withToken('fleet') });
    expect(killed.signal).toBe('SIGKILL');
    // The secrets file, which makes the top-level worker a client, is the last write: it never came.
    expect(existsSync(join(fleet.dir, '.secrets.fleet'))).toBe(false);
    expect(await clients()).not.toContain('fleet');

    // Any later add settles it first: the top level is as it was, and only the new section is added.
    const other = await fleet.cli(['add', 'golf', '--from-env', '--yes'], { env: withToken('golf') });
    expect(other.exitCode, other.stderr).toBe(0);
    expect(removeEnvSection(await readFile(join(fleet.dir, 'wrangler.jsonc'), 'utf8'), 'golf')).toBe(before);
    expect(await journals()).toEqual([]);
    expect(await tempFiles()).toEqual([]);
  });

  test('Ctrl-C while add writes: it finishes the client first, then ends as interrupted', async () => {
    await forget('hotel');
    const stopped = await interrupt(['add', 'hotel', '--from-env', '--yes'], 'rename:wrangler.jsonc', {
      signal: 'SIGINT',
      env: withToken('hotel'),
    });
    expect(stopped.signal).toBe('SIGINT');
    await expectWhole('hotel');
  });
});
