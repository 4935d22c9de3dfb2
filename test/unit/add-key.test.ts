import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { readVarsTemplate, varValueProblem } from '../../src/fleet/vars-template.js';
import { chooseApiKey, chooseSigningKey, type KeyRequest } from '../../src/ops/project/add-values.js';
import { accountPresence, type PresenceCheck, unknownPresence } from '../../src/ops/project/worker-presence.js';
import { FleetError } from '../../src/util/errors.js';
import { tempDir } from '../helpers/cli.js';

/** Which API_KEY `add` writes, by what it is given and what it knows of the worker (pure: the presence is scripted). */

const LIVE_KEY = 'the-key-callers-hold-0123456789';

/** A presence check that answers `state` and counts how often it was asked. */
function scripted(state: 'exists' | 'absent'): PresenceCheck & { asked: number } {
  const check = {
    asked: 0,
    where: 'on the test edge',
    async presence() {
      check.asked += 1;
      return { state };
    },
  };
  return check;
}

function request(overrides: Partial<KeyRequest>): KeyRequest {
  return {
    client: 'acme',
    worker: 'acme',
    given: undefined,
    newKey: false,
    adopting: false,
    check: scripted('absent'),
    newKeyLine: 'mcp-fleet add acme --new-key',
    ...overrides,
  };
}

async function refusal(run: Promise<unknown>): Promise<FleetError> {
  const error = await run.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(FleetError);
  return error as FleetError;
}

describe('the API_KEY add writes', () => {
  test('a given key is taken as given, without asking whether the worker runs', async () => {
    const check = scripted('exists');
    const choice = await chooseApiKey(request({ given: { value: LIVE_KEY, source: 'env' }, check }));
    expect(choice).toMatchObject({ value: LIVE_KEY, source: 'env', replacedLiveKey: false });
    expect(check.asked).toBe(0);
  });

  test('a worker that does not run gets a generated key', async () => {
    const choice = await chooseApiKey(request({ check: scripted('absent') }));
    expect(choice).toMatchObject({ source: 'generated', workerExists: false, unknownWhy: undefined });
    expect(choice.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test('a worker that runs: exit 2 naming --new-key, never a generated key', async () => {
    const error = await refusal(chooseApiKey(request({ check: scripted('exists') })));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('worker acme already runs (on the test edge)');
    expect(error.hint).toContain('mcp-fleet add acme --new-key');
  });

  test('a worker that runs, at a terminal: the key typed is taken; an empty answer still refuses', async () => {
    const asked: string[] = [];
    const typed = await chooseApiKey(
      request({
        check: scripted('exists'),
        ask: async (message) => {
          asked.push(message);
          return LIVE_KEY;
        },
      }),
    );
    expect(typed).toMatchObject({ value: LIVE_KEY, source: 'prompt', workerExists: true });
    expect(asked[0]).toContain('the key its callers use now');
    const error = await refusal(chooseApiKey(request({ check: scripted('exists'), ask: async () => undefined })));
    expect(error.exitCode).toBe(2);
  });

  test('--new-key generates even for a worker that runs, and says it replaced a live key', async () => {
    const choice = await chooseApiKey(request({ newKey: true, check: scripted('exists') }));
    expect(choice).toMatchObject({ source: 'generated', workerExists: true, replacedLiveKey: true });
  });

  test('without a target: a new client gets a key with the reason it could not look; an adopted one never does', async () => {
    const check = unknownPresence('no target to ask');
    const fresh = await chooseApiKey(request({ check }));
    expect(fresh).toMatchObject({ source: 'generated', workerExists: undefined, unknownWhy: 'no target to ask' });
    const error = await refusal(chooseApiKey(request({ check, adopting: true })));
    expect(error.message).toContain('mcp-fleet cannot tell whether worker acme already runs: no target to ask');
  });

  test('a weak key is refused whatever the worker, and names where it came from', async () => {
    const error = await refusal(chooseApiKey(request({ given: { value: 'short', source: 'flag' } })));
    expect(error.message).toBe('--set API_KEY is 5 bytes long, under the 16 a key needs; nothing was written');
  });

  test("the account's worker list is read once however many workers are asked about", async () => {
    let calls = 0;
    const check = accountPresence(
      {
        listScripts: async () => {
          calls += 1;
          return new Map([['acme', { name: 'acme', tags: undefined, observability: undefined }]]);
        },
      },
      'here',
    );
    expect(await check.presence('acme')).toEqual({ state: 'exists' });
    expect(await check.presence('globex')).toEqual({ state: 'absent' });
    expect(calls).toBe(1);
  });
});

describe('.vars.template', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => Promise.all(cleanups.map((cleanup) => cleanup())));

  test('a …_URL setting must be an absolute http(s) URL; others are free text', () => {
    expect(varValueProblem('UPSTREAM_URL', 'https://api.example.com/v1')).toBeUndefined();
    expect(varValueProblem('UPSTREAM_URL', '')).toBeUndefined();
    expect(varValueProblem('UPSTREAM_URL', 'api.example.com')).toContain('not an absolute URL');
    expect(varValueProblem('UPSTREAM_URL', 'javascript:alert(1)')).toContain('expected http: or https:');
    expect(varValueProblem('REGION', 'eu west')).toBeUndefined();
  });

  test('a key that is also a secret, or CLIENT_ID, is refused naming the file and line', async () => {
    const { dir, cleanup } = await tempDir('mcp-fleet-vars-');
    cleanups.push(cleanup);
    await writeFile(join(dir, '.vars.template'), '# settings\nUPSTREAM_URL=\nUPSTREAM_TOKEN=\n');
    await expect(readVarsTemplate(dir, ['API_KEY', 'UPSTREAM_TOKEN'])).rejects.toThrow(
      `${join(dir, '.vars.template')}:3: UPSTREAM_TOKEN is also in .secrets.template`,
    );
    await writeFile(join(dir, '.vars.template'), 'CLIENT_ID=x\n');
    await expect(readVarsTemplate(dir, [])).rejects.toThrow('CLIENT_ID is set by mcp-fleet');
    await writeFile(join(dir, '.vars.template'), 'UPSTREAM_URL=https://default.example\n');
    expect(await readVarsTemplate(dir, [])).toMatchObject({ vars: [{ key: 'UPSTREAM_URL', defaultValue: 'https://default.example' }] });
  });
});

describe('the upstream signing key add writes', () => {
  const inputs = (env: Record<string, string>, fromEnv = true) => ({ set: new Map<string, string>(), fromEnv, env });

  test('a new one when none is given; the given one with --from-env, so an upstream that knows it keeps verifying', () => {
    const made = chooseSigningKey(inputs({}));
    expect(made.source).toBe('generated');
    expect(made.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(chooseSigningKey(inputs({})).value).not.toBe(made.value);
    expect(chooseSigningKey(inputs({ UPSTREAM_SIGNING_KEY: LIVE_KEY }))).toEqual({ value: LIVE_KEY, source: 'env' });
    // Without --from-env the environment is not read.
    expect(chooseSigningKey(inputs({ UPSTREAM_SIGNING_KEY: LIVE_KEY }, false)).source).toBe('generated');
  });

  test('a weak one given is bad input naming where it came from, never the value (exit 2)', () => {
    let error: unknown;
    try {
      chooseSigningKey(inputs({ UPSTREAM_SIGNING_KEY: 'short key' }));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FleetError);
    expect((error as FleetError).exitCode).toBe(2);
    expect((error as FleetError).message).toContain('UPSTREAM_SIGNING_KEY from the environment (--from-env) has whitespace inside');
    expect((error as FleetError).message).not.toContain('short key');
  });
});
