import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { removeEnvSection } from '../../src/config/wrangler-config.js';
import type { AddJson, DeployJson, InitJson, StatusJson, UpgradeConfigJson } from '../../src/ui/json/index.js';
import { callsPerScript, closeTestFleet, createTestFleet, randomValue, type TestFleet } from '../helpers/fleet.js';
import { snapshotDir } from '../helpers/snapshot.js';

/**
 * Adopting never breaks what is live: a client whose worker already runs keeps its key (add takes
 * it like any other value, refuses without it, and makes a new one only when asked to); env
 * sections without a secrets file and workers no section names are adopted keeping their key and
 * every byte of the config; a top-level worker made a client by its secrets file alone is
 * stopped before any upload. One edge for the file: acme and evergreen are deployed at the start.
 */

let fleet: TestFleet;
const configPath = () => join(fleet.dir, 'wrangler.jsonc');

beforeAll(async () => {
  fleet = await createTestFleet('adopt', ['acme', 'evergreen']);
  const deployed = await fleet.cli(['deploy', '--all', '--local', '--no-verify']);
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.stderr}`);
}, 300_000);

afterAll(() => closeTestFleet(fleet));

/** The client's key, and (until the test ends) a project where its section and secrets file are gone but its worker runs. */
async function unlistClient(client: string): Promise<string> {
  const key = (await fleet.secrets(client)).get('API_KEY') as string;
  const config = await readFile(configPath(), 'utf8');
  const secretsPath = join(fleet.dir, `.secrets.${client}`);
  const secrets = await readFile(secretsPath, 'utf8');
  await writeFile(configPath(), removeEnvSection(config, client));
  await rm(secretsPath);
  onTestFinished(async () => {
    await writeFile(configPath(), config);
    await writeFile(secretsPath, secrets, { mode: 0o600 });
  });
  return key;
}

/** API calls the edge logged while `run` ran, per script ("(account)" for the account's worker list). */
async function callsDuring<T>(run: () => Promise<T>): Promise<{ value: T; calls: Record<string, number> }> {
  const since = await fleet.lastSeq();
  const value = await run();
  return { value, calls: Object.fromEntries(callsPerScript(await fleet.requests(since))) };
}

describe('a client whose worker already runs keeps its key', () => {
  test('without a key, add refuses (exit 2), says how to give it or ask for a new one, changes nothing, for one API call', async () => {
    await unlistClient('acme');
    const before = await snapshotDir(fleet.dir);
    const { value: refused, calls } = await callsDuring(() =>
      fleet.cli(['add', 'acme', '--local', '--from-env', '--yes'], { env: { UPSTREAM_TOKEN: randomValue('up-acme') } }),
    );
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('worker acme already runs (on the local edge)');
    expect(refused.stderr).toContain("add keeps a live worker's API_KEY, and none was given; nothing was written");
    expect(refused.stderr).toContain('--from-env (API_KEY in the environment)');
    expect(refused.stderr).toMatch(/mcp-fleet(\.js)? add acme --new-key --local/);
    expect(await snapshotDir(fleet.dir)).toEqual(before);
    // Whether the worker runs is one read of the account's worker list, and nothing else.
    expect(calls).toEqual({ '(account)': 1 });
  });

  test('API_KEY from the environment is taken, not replaced: the next deploy keeps every caller in', async () => {
    const liveKey = await unlistClient('acme');
    const { value: added, calls } = await callsDuring(() =>
      fleet.cliJson<AddJson>(['add', 'acme', '--local', '--from-env', '--yes'], {
        env: { API_KEY: liveKey, UPSTREAM_TOKEN: randomValue('up-acme') },
      }),
    );
    expect(added.exitCode, added.stderr).toBe(0);
    expect(added.json).toMatchObject({ sources: { API_KEY: 'env', UPSTREAM_TOKEN: 'env' }, replacedLiveKey: false, workerUnknown: null });
    expect(added.stderr).not.toMatch(/API_KEY: generated/);
    // The key was given, so nothing needed asking.
    expect(calls).toEqual({});
    expect((await fleet.secrets('acme')).get('API_KEY')).toBe(liveKey);
    const deployed = await fleet.cliJson<DeployJson>(['deploy', 'acme', '--local']);
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    expect(await fleet.accepts('acme', liveKey)).toBe(true);
  });

  test('a weak API_KEY from the environment is refused before anything is written', async () => {
    await unlistClient('acme');
    const before = await snapshotDir(fleet.dir);
    const refused = await fleet.cli(['add', 'acme', '--local', '--from-env', '--yes'], { env: { API_KEY: 'short' } });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('API_KEY from the environment (--from-env) is 5 bytes long');
    expect(await snapshotDir(fleet.dir)).toEqual(before);
  });

  test('--new-key makes a new key on purpose, and says that it replaces the key of a worker that runs', async () => {
    const liveKey = await unlistClient('acme');
    const added = await fleet.cliJson<AddJson>(['add', 'acme', '--local', '--new-key', '--from-env', '--yes'], {
      env: { UPSTREAM_TOKEN: randomValue('up-acme') },
    });
    expect(added.exitCode, added.stderr).toBe(0);
    expect(added.json).toMatchObject({ sources: { API_KEY: 'generated' }, workerExists: true, replacedLiveKey: true });
    expect(added.stderr).toContain('API_KEY: generated: a new key for a worker that runs');
    expect(added.stderr).toContain("worker acme runs with another API_KEY: from the next deploy on it refuses its callers' old key");
    expect((await fleet.secrets('acme')).get('API_KEY')).not.toBe(liveKey);
    // Nothing was deployed: the worker still takes the old key until the next deploy.
    expect(await fleet.accepts('acme', liveKey)).toBe(true);
  });

  test('a worker that does not run gets a generated key without a warning, for one API call', async () => {
    const config = await readFile(configPath(), 'utf8');
    onTestFinished(async () => {
      await writeFile(configPath(), config);
      await rm(join(fleet.dir, '.secrets.newco'), { force: true });
    });
    const { value: added, calls } = await callsDuring(() => fleet.cliJson<AddJson>(['add', 'newco', '--local', '--yes']));
    expect(added.exitCode, added.stderr).toBe(0);
    expect(added.json).toMatchObject({
      sources: { API_KEY: 'generated' },
      workerExists: false,
      workerUnknown: null,
      replacedLiveKey: false,
    });
    expect(added.stderr).not.toContain('without knowing');
    expect(calls).toEqual({ '(account)': 1 });
  });
});

describe('workers in the account that no section names', () => {
  test('status --all lists them, in text and --json, with the command that adopts one', async () => {
    await unlistClient('acme');
    const json = await fleet.cliJson<StatusJson>(['status', '--all', '--local']);
    expect(json.json.notInConfig).toEqual(['acme']);
    const text = await fleet.cli(['status', '--all', '--local']);
    expect(text.stdout).toContain('In the account, not in the config (1); adopt one as a client, keeping its key:');
    expect(text.stdout).toMatch(/^ {2}acme {2}.*mcp-fleet(\.js)? add acme --adopt --local$/m);
    // Named clients only: the account's other workers are not asked about.
    const named = await fleet.cliJson<StatusJson>(['status', 'evergreen', '--local']);
    expect(named.json.notInConfig).toBeNull();
  });

  test('add --adopt writes a section for it and keeps its key; --adopt of a name nothing runs under is refused', async () => {
    const liveKey = await unlistClient('acme');
    const adopted = await fleet.cliJson<AddJson>(['add', 'acme', '--adopt', '--local', '--from-env', '--yes'], {
      env: { API_KEY: liveKey, UPSTREAM_TOKEN: randomValue('up-acme') },
    });
    expect(adopted.exitCode, adopted.stderr).toBe(0);
    expect(adopted.json).toMatchObject({ configAdded: ['env.acme'], keptSection: false, sources: { API_KEY: 'env' } });
    expect((await fleet.secrets('acme')).get('API_KEY')).toBe(liveKey);
    const status = await fleet.cliJson<StatusJson>(['status', '--all', '--local']);
    expect(status.json.notInConfig).toEqual([]);

    const before = await snapshotDir(fleet.dir);
    const nothing = await fleet.cli(['add', 'ghost', '--adopt', '--local', '--yes']);
    expect(nothing.exitCode).toBe(2);
    expect(nothing.stderr).toContain('no worker ghost runs (on the local edge); nothing to adopt, nothing was written');
    expect(await snapshotDir(fleet.dir)).toEqual(before);
  });
});

describe('init --adopt of env sections without secrets files', () => {
  test('it prints add <client> --adopt; run as printed at a terminal, it keeps the live key and every byte of the config', async () => {
    const liveKey = (await fleet.secrets('evergreen')).get('API_KEY') as string;
    const secretsPath = join(fleet.dir, '.secrets.evergreen');
    await rename(secretsPath, `${secretsPath}.aside`);
    onTestFinished(async () => {
      await rename(`${secretsPath}.aside`, secretsPath).catch(() => undefined);
    });
    const config = await readFile(configPath(), 'utf8');

    const init = await fleet.cliJson<InitJson>(['init', '--adopt']);
    expect(init.exitCode, init.stderr).toBe(0);
    expect(init.json.withoutSecrets).toEqual(['evergreen']);
    const printed = /^ {4}(\S+.* add evergreen --adopt)$/m.exec(init.stderr + init.stdout)?.[1];
    expect(printed, init.stderr).toMatch(/ -C \S+ add evergreen --adopt$/);

    // Without a terminal or a key it refuses and says how; nothing is guessed for a worker that may run.
    const unattended = await execa('sh', ['-c', printed as string], { cwd: fleet.dir, reject: false, env: { CI: '1', NO_COLOR: '1' } });
    expect(unattended.exitCode).toBe(2);
    expect(unattended.stderr).toContain('mcp-fleet cannot tell whether worker evergreen already runs');

    // At a terminal it asks for the key the callers use, then for the client's own token.
    const token = randomValue('up-evergreen');
    fleet.leaks.addSecret(token, 'UPSTREAM_TOKEN of evergreen (typed)');
    const screen = await typeInto(printed as string, [
      { prompt: 'API_KEY for evergreen: the key its callers use now', answer: liveKey },
      { prompt: 'UPSTREAM_TOKEN for evergreen', answer: token },
    ]);
    expect(screen.exitCode, screen.text).toBe(0);
    expect(screen.text).toContain('adopted evergreen: env.evergreen in');
    expect(screen.text).toContain('API_KEY: prompt');
    expect(await readFile(configPath(), 'utf8')).toBe(config);
    expect((await fleet.secrets('evergreen')).get('API_KEY')).toBe(liveKey);
    await rm(`${secretsPath}.aside`);
    const deployed = await fleet.cliJson<DeployJson>(['deploy', 'evergreen', '--local']);
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    expect(await fleet.accepts('evergreen', liveKey)).toBe(true);
  });

  test('with the key from the environment, for one API call at most, and the config byte for byte', async () => {
    const liveKey = (await fleet.secrets('evergreen')).get('API_KEY') as string;
    const secretsPath = join(fleet.dir, '.secrets.evergreen');
    const secrets = await readFile(secretsPath, 'utf8');
    await rm(secretsPath);
    onTestFinished(() => writeFile(secretsPath, secrets, { mode: 0o600 }));
    const config = await readFile(configPath(), 'utf8');
    // deploy, too, points at the adoption path (not add --force, which refuses a client).
    const deploy = await fleet.cli(['deploy', 'evergreen', '--local']);
    expect(deploy.exitCode).toBe(2);
    expect(deploy.stderr).toContain('.secrets.evergreen does not exist');
    expect(deploy.stderr).toMatch(/keeping the key its worker's callers use .*: \S*.*mcp-fleet(\.js)? add evergreen --adopt --local\./);
    const { value: adopted, calls } = await callsDuring(() =>
      fleet.cliJson<AddJson>(['add', 'evergreen', '--adopt', '--local', '--from-env', '--yes'], {
        env: { API_KEY: liveKey, UPSTREAM_TOKEN: randomValue('up-evergreen') },
      }),
    );
    expect(adopted.exitCode, adopted.stderr).toBe(0);
    expect(adopted.json).toMatchObject({ keptSection: true, configAdded: [], sources: { API_KEY: 'env' } });
    expect(await readFile(configPath(), 'utf8')).toBe(config);
    expect(Object.values(calls).reduce((sum, n) => sum + n, 0)).toBeLessThanOrEqual(1);

    // Adopted already: a second run changes nothing.
    const again = await fleet.cli(['add', 'evergreen', '--adopt', '--local', '--yes']);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('evergreen is a client already');
  });
});

describe('a top-level worker made a client by its secrets file alone', () => {
  /** The key the top-level worker runs with once the first test has deployed it. */
  let topLevelKey = '';

  test('deploy refuses it before any upload (exit 2) and the printed upgrade-config line fixes it', async () => {
    const config = await readFile(configPath(), 'utf8');
    const secretsPath = join(fleet.dir, '.secrets.fleet');
    const key = randomValue('key-fleet');
    topLevelKey = key;
    fleet.leaks.addSecret(key, 'API_KEY of the top-level worker');
    await writeFile(secretsPath, `API_KEY=${key}\nUPSTREAM_TOKEN=${randomValue('up-fleet')}\n`, { mode: 0o600 });
    onTestFinished(async () => {
      await rm(secretsPath, { force: true });
      await writeFile(configPath(), config);
    });

    const { value: refused, calls } = await callsDuring(() => fleet.cli(['deploy', 'fleet', '--local']));
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('has no vars.CLIENT_ID (add --default writes it); nothing was uploaded for fleet');
    expect(calls.fleet ?? 0).toBe(0);
    const hint = /then deploy again: (\S+.* upgrade-config fleet)$/m.exec(refused.stderr)?.[1];
    expect(hint, refused.stderr).toBeDefined();
    const upgraded = await execa('sh', ['-c', `${hint} --json`], { cwd: fleet.dir, reject: false, env: { CI: '1', NO_COLOR: '1' } });
    expect(upgraded.exitCode, upgraded.stderr).toBe(0);
    expect((JSON.parse(upgraded.stdout) as UpgradeConfigJson).clients[0]?.added).toContain('vars');

    const deployed = await fleet.cliJson<DeployJson>(['deploy', 'fleet', '--local']);
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    expect(await fleet.accepts('fleet', key)).toBe(true);
  });

  test('add --default of a top-level worker that runs takes its key from the environment, and refuses without one', async () => {
    expect(topLevelKey).not.toBe('');
    const config = await readFile(configPath(), 'utf8');
    onTestFinished(async () => {
      await rm(join(fleet.dir, '.secrets.fleet'), { force: true });
      await writeFile(configPath(), config);
    });
    const before = await snapshotDir(fleet.dir);
    const refused = await fleet.cli(['add', '--default', '--local', '--yes']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('worker fleet already runs (on the local edge)');
    expect(refused.stderr).toMatch(/mcp-fleet(\.js)? add fleet --default --new-key --local/);
    expect(await snapshotDir(fleet.dir)).toEqual(before);

    // What the issue saw: API_KEY=<current> add --default --from-env said "generated" and locked every caller out.
    const added = await fleet.cliJson<AddJson>(['add', 'fleet', '--default', '--local', '--from-env', '--yes'], {
      env: { API_KEY: topLevelKey, UPSTREAM_TOKEN: randomValue('up-fleet') },
    });
    expect(added.exitCode, added.stderr).toBe(0);
    expect(added.json).toMatchObject({ default: true, sources: { API_KEY: 'env' }, replacedLiveKey: false });
    expect(added.stderr).not.toContain('API_KEY: generated');
    expect((await fleet.secrets('fleet')).get('API_KEY')).toBe(topLevelKey);
    const deployed = await fleet.cliJson<DeployJson>(['deploy', 'fleet', '--local']);
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    expect(await fleet.accepts('fleet', topLevelKey)).toBe(true);
  });
});

/** Runs a command line under a pseudo-terminal, typing each answer once its prompt is drawn. */
async function typeInto(line: string, answers: { prompt: string; answer: string }[]): Promise<{ exitCode: number; text: string }> {
  const child = execa('script', ['-qec', `stty cols 160 rows 40; ${line}`, '/dev/null'], {
    cwd: fleet.dir,
    env: { CI: '', NO_COLOR: '1' },
    reject: false,
    timeout: 60_000,
  });
  let screen = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const before = screen;
    screen += chunk.toString();
    for (const { prompt, answer } of answers) if (!before.includes(prompt) && screen.includes(prompt)) child.stdin?.write(`${answer}\r`);
  });
  const result = await child;
  return { exitCode: result.exitCode ?? -1, text: screen };
}
