import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import type { Target } from '../../src/cloudflare/target.js';
import { createWorkersApi } from '../../src/cloudflare/workers-api.js';
import type { StatusJson } from '../../src/ui/json/index.js';
import { callsPerScript, closeTestFleet, createTestFleet, randomValue, type TestFleet } from '../helpers/fleet.js';

/**
 * `mcp-fleet status` through the built binary against workers on the local edge: all current and in
 * sync after a deploy (exit 0), the API calls each client costs (from the edge's request log), a
 * secret set out of band reported by name (exit 1) while the code still reads as current, every
 * client "behind" after a change to the worker's source (exit 1), a client without a worker, and
 * --verify. One edge for the file; acme and globex are deployed, newco never is.
 */

const DEPLOYED = ['acme', 'globex'];
let fleet: TestFleet;

beforeAll(async () => {
  fleet = await createTestFleet('status', [...DEPLOYED, 'newco']);
  const deployed = await fleet.cli(['deploy', ...DEPLOYED, '--local', '--no-verify']);
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.stderr}`);
}, 300_000);

afterAll(() => closeTestFleet(fleet));

/** A call to the edge's Cloudflare API, as any other tool with the token would make it. */
async function api(method: string, path: string, body?: unknown): Promise<void> {
  const { info } = fleet.edge;
  const response = await fetch(`${info.apiBaseUrl}/accounts/${info.accountId}${path}`, {
    method,
    headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = (await response.json()) as { success: boolean; errors: unknown };
  if (!answer.success) throw new Error(`${method} ${path}: ${JSON.stringify(answer.errors)}`);
}

async function status(args: string[]) {
  const started = performance.now();
  const since = await fleet.lastSeq();
  const result = await fleet.cliJson<StatusJson>(['status', ...args, '--local']);
  const ms = Math.round(performance.now() - started);
  return { result, ms, calls: callsPerScript(await fleet.requests(since)) };
}

describe('status', () => {
  test('after a deploy every client runs the current build, in sync: exit 0, with 3 API calls per client and 1 for the account', async () => {
    const { result, ms, calls } = await status(DEPLOYED);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.ok).toBe(true);
    for (const client of result.json.clients) {
      expect(client, client.client).toMatchObject({
        exists: true,
        code: 'current',
        drift: [],
        inSync: true,
        deployedBy: 'upload',
        secrets: { missingRemotely: [], extraRemotely: [], missingLocally: [], inSync: true },
        compatibilityDate: { matches: true },
      });
      expect(client.traffic).toEqual([{ versionId: client.versionId, percentage: 100, code: 'current', tag: client.localTag }]);
      expect(client.deployedTag).toBe(client.localTag);
      expect(client.deployedTag).toMatch(/^bundle-[0-9a-f]{16}$/);
    }
    // deploy built the bundle; status reuses it from the build cache.
    expect(result.json.bundles).toEqual([expect.objectContaining({ ok: true, cached: true })]);
    expect(result.json.capacity).toEqual({ workers: 2, limit: 500, share: 2 / 500, warning: false });
    // Secret names, deployments, the deployed version; and the account's worker list once.
    expect(Object.fromEntries(calls)).toEqual({ '(account)': 1, acme: 3, globex: 3 });
    console.log(`[api calls] status: ${[...calls].map(([k, v]) => `${k}=${v}`).join(' ')}; warm run ${ms} ms`);
  });

  test('the human report: a row per client, the local build, the account capacity', async () => {
    const result = await fleet.cli(['status', ...DEPLOYED, '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^\s+CLIENT\s+AUTH\s+VERSION\s+DEPLOYED\s+CODE\s+TRAFFIC\s+SECRETS\s+COMPAT DATE$/);
    expect(result.stdout).toMatch(/^✔\s+acme\s+key\s+[0-9a-f]{8}\s+\d+ (s|min) ago\s+current\s+100%\s+in sync\s+\d{4}-\d{2}-\d{2}$/m);
    expect(result.stdout).toMatch(/Local build: bundle-[0-9a-f]{16} \(reused from the build cache\)/);
    expect(result.stdout).toContain('2 clients: 2 match the project');
    expect(result.stdout).toContain('Workers in the account: 2 of 500 (0%)');
  });

  test('a client without a worker drifts; it costs one API call; --workers-limit warns from 80%', async () => {
    const { result, calls } = await status(['--all', '--workers-limit', '2']);
    expect(result.exitCode).toBe(1);
    const newco = result.json.clients.find((c) => c.client === 'newco');
    expect(newco).toMatchObject({ exists: false, code: null, drift: ['no worker'], inSync: false });
    expect(result.json.clients.filter((c) => c.inSync).map((c) => c.client)).toEqual(DEPLOYED);
    expect(calls.get('newco')).toBe(1);
    expect(result.json.capacity).toMatchObject({ workers: 2, limit: 2, warning: true });
    expect(result.stderr).toMatch(/! Workers in the account: 2 of 2 \(100%\): Cloudflare refuses new workers at the limit/);
    expect(result.stderr).toMatch(/newco: no worker newco in the account: .*mcp-fleet(\.js)? deploy newco --local/);
  });

  test('a secret set out of band (through the API) is reported by name; the code still reads as current; exit 1', async () => {
    const value = randomValue('out-of-band');
    fleet.leaks.addSecret(value, 'OUT_OF_BAND of acme (set by the test)');
    await api('PUT', '/workers/scripts/acme/secrets', { name: 'OUT_OF_BAND', text: value, type: 'secret_text' });
    onTestFinished(() => api('DELETE', '/workers/scripts/acme/secrets/OUT_OF_BAND'));
    const { result, calls } = await status(DEPLOYED);
    expect(result.exitCode).toBe(1);
    const [acme, globex] = result.json.clients;
    expect(acme).toMatchObject({
      exists: true,
      deployedBy: 'secret',
      secrets: { extraRemotely: ['OUT_OF_BAND'], missingRemotely: [], inSync: false },
      drift: ['secrets differ'],
      inSync: false,
    });
    // The live version was made by the secret change; its code is the deployed bundle's, found one deployment back.
    expect(acme?.code).toBe('current');
    expect(globex?.inSync).toBe(true);
    expect(calls.get('acme')).toBe(3);
    const human = await fleet.cli(['status', 'acme', '--local']);
    expect(human.exitCode).toBe(1);
    expect(human.stdout).toMatch(/^✖\s+acme\s+.*current\s+100%\s+extra remotely: OUT_OF_BAND/m);
    expect(human.stdout).not.toContain(value);
  });

  test("after a version bump (the worker reports package.json's version) every client is behind: exit 1; restored, current again", async () => {
    const source = join(fleet.dir, 'package.json');
    const original = await readFile(source, 'utf8');
    onTestFinished(() => writeFile(source, original));
    await writeFile(source, original.replace(/"version": "[^"]*"/, '"version": "9.9.9-status-test"'));
    const cold = await status(DEPLOYED);
    expect(cold.result.exitCode, cold.result.stderr).toBe(1);
    expect(cold.result.json.bundles).toEqual([expect.objectContaining({ ok: true, cached: false })]);
    for (const client of cold.result.json.clients) {
      expect(client, client.client).toMatchObject({ code: 'behind', drift: ['code behind'], inSync: false });
      expect(client.deployedTag).not.toBe(client.localTag);
      expect(client.codeWhy).toBe(`runs ${client.deployedTag}; the local build is ${client.localTag}`);
    }
    const warm = await status(DEPLOYED);
    expect(warm.result.json.bundles).toEqual([expect.objectContaining({ cached: true })]);
    expect(warm.result.json.clients.map((c) => c.code)).toEqual(['behind', 'behind']);
    console.log(`[timing] status of 2 clients: cold (build) ${cold.ms} ms, warm (build cache) ${warm.ms} ms`);

    await writeFile(source, original);
    const restored = await status(DEPLOYED);
    expect(restored.result.exitCode, restored.result.stderr).toBe(0);
    expect(restored.result.json.clients.map((c) => c.code)).toEqual(['current', 'current']);
  });

  test('--verify adds the outcome of verify; a drifted compatibility date is reported', async () => {
    const verified = await status([...DEPLOYED, '--verify']);
    expect(verified.result.exitCode, verified.result.stderr).toBe(0);
    expect(verified.result.json.clients.map((c) => c.verify)).toEqual([
      { ok: true, failed: [] },
      { ok: true, failed: [] },
    ]);
    // verify talks to the workers, not the API: the budget is the same.
    expect(verified.calls.get('acme')).toBe(3);

    const config = join(fleet.dir, 'wrangler.jsonc');
    const text = await readFile(config, 'utf8');
    onTestFinished(() => writeFile(config, text));
    const edited = text.replace(/"compatibility_date": "(\d{4})-/, (_, year: string) => `"compatibility_date": "${Number(year) - 1}-`);
    expect(edited).not.toBe(text);
    await writeFile(config, edited);
    const { result } = await status(['acme']);
    expect(result.exitCode).toBe(1);
    const [acme] = result.json.clients;
    expect(acme?.compatibilityDate.matches).toBe(false);
    expect(acme?.drift).toContain('compatibility date');
  });

  test('a traffic split shows both versions with their share; it is drift; each version costs one call', async () => {
    const { info } = fleet.edge;
    const target: Target = {
      kind: 'local',
      apiBaseUrl: info.apiBaseUrl,
      accountId: info.accountId,
      token: info.token,
      workerUrl: async (worker) => fleet.workerUrl(worker),
      childEnv: () => ({}),
    };
    const workers = createWorkersApi(target);
    const [live] = await workers.listDeployments('globex');
    const current = live?.versions[0]?.version_id as string;
    // The same code again as a second version (a gradual rollout of an unchanged build), then 90/10.
    const version = await workers.getVersionWithCode('globex', current);
    const again = await workers.uploadVersion('globex', {
      metadata: {
        main_module: version.main_module,
        bindings: version.bindings.filter((binding) => !binding.type.startsWith('secret')),
        ...(version.compatibility_date ? { compatibility_date: version.compatibility_date } : {}),
        compatibility_flags: version.compatibility_flags,
        keep_bindings: ['secret_text', 'secret_key'],
        annotations: version.annotations,
      },
      modules: version.modules.map((m) => ({
        name: m.name,
        contentType: m.content_type,
        contents: Buffer.from(m.content_base64, 'base64'),
      })),
    });
    expect(again).not.toBe('missing');
    const split = [
      { version_id: again as string, percentage: 90 },
      { version_id: current, percentage: 10 },
    ];
    expect(await workers.deploy('globex', split, 'status test: a split')).toBe('ok');
    onTestFinished(async () => {
      await workers.deploy('globex', [{ version_id: again as string, percentage: 100 }], 'status test: the split ends');
    });

    const { result, calls } = await status(['globex']);
    expect(result.exitCode).toBe(1);
    const [globex] = result.json.clients;
    expect(globex?.traffic.map((share) => [share.versionId, share.percentage, share.code])).toEqual([
      [again, 90, 'current'],
      [current, 10, 'current'],
    ]);
    expect(globex).toMatchObject({ versionId: again, code: 'current', drift: ['traffic split'] });
    expect(calls.get('globex')).toBe(4);
    const human = await fleet.cli(['status', 'globex', '--local']);
    expect(human.stdout).toMatch(new RegExp(`${(again as string).slice(0, 8)} 90% current · ${current.slice(0, 8)} 10% current`));
    expect(human.stdout).toMatch(/globex: two versions share the traffic/);
  });

  test('bad input is exit 2 naming the flag', async () => {
    const result = await fleet.cli(['status', '--all', '--local', '--workers-limit', 'many']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--workers-limit many/);
  });
});
