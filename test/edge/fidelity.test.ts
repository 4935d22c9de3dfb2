import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { applyEdits, modify, parse as parseJsonc } from 'jsonc-parser';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { createKvApi } from '../../src/cloudflare/kv.js';
import { localTarget } from '../../src/cloudflare/local-target.js';
import { repoRoot } from '../helpers/cli.js';
import { editConfigForThisTest, type StoredScript, type StoredVersion, storedWorker } from '../helpers/edge-state.js';
import { callsPerScript, closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';

/**
 * What the direct upload lands is what `wrangler deploy --env <client>` with the same secrets lands:
 * the same client deployed both ways on one local edge, as a new worker and as an existing one, and
 * the stored script, its settings, the version's modules (by content hash), compatibility, bindings
 * and secret values compared. Only what names the upload may differ: ids, times, source, annotations.
 */

const wranglerBin = join(repoRoot, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
let fleet: TestFleet;

beforeAll(async () => {
  fleet = await createTestFleet('fidelity', ['acme']);
}, 180_000);

afterAll(() => closeTestFleet(fleet));

/** Unmodified wrangler against the edge, with the client's secrets in a JSON file (as mcp-fleet's fallback hands them). */
async function wranglerDeploy(client: string, env: readonly string[] = ['--env', client]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fidelity-secrets-'));
  try {
    const secretsPath = join(dir, 'secrets.json');
    await writeFile(secretsPath, JSON.stringify(Object.fromEntries(await fleet.secrets(client))), { mode: 0o600 });
    const { info } = fleet.edge;
    const result = await execa(process.execPath, [wranglerBin, 'deploy', ...env, '--secrets-file', secretsPath], {
      cwd: fleet.dir,
      env: {
        CLOUDFLARE_API_BASE_URL: info.apiBaseUrl,
        CLOUDFLARE_API_TOKEN: info.token,
        CLOUDFLARE_ACCOUNT_ID: info.accountId,
        CI: '1',
        WRANGLER_SEND_METRICS: 'false',
      },
      reject: false,
    });
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function mcpFleetDeploy(client: string): Promise<void> {
  const result = await fleet.cli(['deploy', client, '--local', '--no-verify']);
  expect(result.exitCode, result.stderr).toBe(0);
}

/** Everything about the live version and the script that the way of uploading must not change. */
async function landed(client: string) {
  const { script, secrets } = await storedWorker(fleet, client);
  const version = script.versions[0] as StoredVersion;
  const { versions: _versions, ...settings } = script as StoredScript & Record<string, unknown>;
  const { id, annotations: _annotations, ...rest } = version as StoredVersion & Record<string, unknown>;
  for (const volatile of ['number', 'created_on', 'source', 'author_email']) delete rest[volatile];
  for (const volatile of ['name', 'tag', 'etag', 'created_on', 'modified_on', 'last_deployed_from', 'deployments'])
    delete settings[volatile];
  return { settings, version: rest, secrets: secrets[id] };
}

/** Deletes the worker through the API, leaving the client (its env section and secrets file) as it is. */
async function deleteWorker(worker: string): Promise<void> {
  const { info } = fleet.edge;
  const response = await fetch(`${info.apiBaseUrl}/accounts/${info.accountId}/workers/scripts/${worker}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${info.token}` },
  });
  expect(response.status).toBe(200);
}

describe('direct upload fidelity', () => {
  test('a new worker and an existing one land as wrangler deploy lands them', async () => {
    // A json var too, and observability from the top level: wrangler splits vars by type.
    const config = join(fleet.dir, 'wrangler.jsonc');
    const text = await readFile(config, 'utf8');
    // The last mention: the template's comments show an example env section too.
    const at = text.lastIndexOf('"CLIENT_ID": "acme"');
    await writeFile(config, `${text.slice(0, at)}"LIMITS": { "rpm": 60, "burst": [1, 2] }, ${text.slice(at)}`);

    await wranglerDeploy('acme');
    const byWranglerNew = await landed('acme');
    await wranglerDeploy('acme');
    const byWranglerExisting = await landed('acme');

    await deleteWorker('acme');

    const since = await fleet.lastSeq();
    await mcpFleetDeploy('acme');
    const newCalls = callsPerScript(await fleet.requests(since)).get('acme');
    const byApiNew = await landed('acme');
    const sinceExisting = await fleet.lastSeq();
    await mcpFleetDeploy('acme');
    const existingCalls = callsPerScript(await fleet.requests(sinceExisting)).get('acme');
    const byApiExisting = await landed('acme');

    expect(byApiNew).toEqual(byWranglerNew);
    expect(byApiExisting).toEqual(byWranglerExisting);
    // The comparison covers what matters: code, a source map, vars of both kinds, the dataset, the secrets, settings.
    expect(byApiNew.version.modules.map((m) => m.type)).toEqual(['esm', 'sourcemap']);
    expect(byApiNew.version.bindings.map((b) => `${b.type}:${b.name}`).sort()).toEqual(
      [
        'analytics_engine:ANALYTICS',
        'json:LIMITS',
        'plain_text:CLIENT_ID',
        'plain_text:RATE_LIMIT',
        'ratelimit:RATE_LIMITER',
        'secret_text:API_KEY',
        'secret_text:UPSTREAM_SIGNING_KEY',
        'secret_text:UPSTREAM_TOKEN',
        'version_metadata:CF_VERSION_METADATA',
      ].sort(),
    );
    expect(Object.keys(byApiNew.secrets ?? {}).sort()).toEqual(['API_KEY', 'UPSTREAM_SIGNING_KEY', 'UPSTREAM_TOKEN']);
    expect(byApiNew.settings).toMatchObject({ observability: { enabled: true }, subdomain: { enabled: true } });
    expect(byApiNew.settings.tags).toEqual(expect.arrayContaining(['cf:environment=acme']));
    console.log(`[api calls] direct upload of acme: new worker ${newCalls}, existing worker ${existingCalls}`);
    expect(newCalls).toBeLessThanOrEqual(3);
    expect(existingCalls).toBeLessThanOrEqual(2);
  });

  test('the top-level worker made a client (add --default) lands as wrangler deploy of the top level lands it', async () => {
    // The project's top-level worker is named after its directory.
    // --local: add asks the edge whether the top-level worker runs (it does not yet), so it may make its key.
    const added = await fleet.cli(['add', 'fleet', '--default', '--from-env', '--yes', '--local'], {
      env: { UPSTREAM_TOKEN: 'upstream-of-fleet' },
    });
    expect(added.exitCode, added.stderr).toBe(0);

    await wranglerDeploy('fleet', ['--env=']);
    const byWrangler = await landed('fleet');
    await deleteWorker('fleet');
    await mcpFleetDeploy('fleet');
    const byApi = await landed('fleet');

    expect(byApi).toEqual(byWrangler);
    expect(byApi.version.bindings.map((b) => `${b.type}:${b.name}`).sort()).toEqual(
      [
        'analytics_engine:ANALYTICS',
        'plain_text:CLIENT_ID',
        'plain_text:RATE_LIMIT',
        'ratelimit:RATE_LIMITER',
        'secret_text:API_KEY',
        'secret_text:UPSTREAM_SIGNING_KEY',
        'secret_text:UPSTREAM_TOKEN',
        'version_metadata:CF_VERSION_METADATA',
      ].sort(),
    );
    expect(byApi.settings.tags).toEqual(['cf:service=fleet']);
  });

  test('a version carries no script-level settings: changed observability goes through script-settings, as wrangler sends it', async () => {
    const config = join(fleet.dir, 'wrangler.jsonc');
    const original = await readFile(config, 'utf8');
    const observing = (rate: number) =>
      original.replace(/"observability": \{\s*"enabled": true\s*\}/, `"observability": { "enabled": true, "head_sampling_rate": ${rate} }`);
    expect(observing(0.25)).not.toBe(original);
    try {
      // An existing worker (this test may run alone).
      await mcpFleetDeploy('acme');
      await writeFile(config, observing(0.25));
      const since = await fleet.lastSeq();
      await mcpFleetDeploy('acme');
      const calls = (await fleet.requests(since)).filter((entry) => entry.script === 'acme');
      // The upload names no setting outside a version's schema; the drifted setting is one more call.
      expect(
        calls.map((c) => [c.method, c.route?.replace(/^\w+ \/accounts\/:account\/workers\/scripts\/:script/, ''), c.status, c.ignored]),
      ).toEqual([
        ['POST', '/versions', 200, []],
        ['POST', '/deployments', 200, []],
        ['PATCH', '/script-settings', 200, []],
      ]);
      console.log(`[api calls] direct upload of acme with drifted observability: ${calls.length}`);
      expect((await landed('acme')).settings.observability).toEqual({ enabled: true, head_sampling_rate: 0.25 });

      // wrangler still deploys: its upload carries observability, which the edge takes without applying it,
      // and its script-settings call sets it.
      await writeFile(config, observing(0.5));
      const sinceWrangler = await fleet.lastSeq();
      await wranglerDeploy('acme');
      const byWrangler = (await fleet.requests(sinceWrangler)).filter((entry) => entry.script === 'acme' && entry.method !== 'GET');
      expect(byWrangler.find((c) => c.route?.endsWith('/versions'))?.ignored).toEqual(['observability']);
      expect((await landed('acme')).settings.observability).toEqual({ enabled: true, head_sampling_rate: 0.5 });
    } finally {
      await writeFile(config, original);
    }
  });

  test('a section with kv_namespaces: wrangler deploy and the direct upload land the same kv_namespace binding, the upload on the fast path', async () => {
    const namespace = await createKvApi(await localTarget(fleet.dir)).ensureNamespace('acme-oauth');
    await editConfigForThisTest(
      fleet,
      '"name": "acme"',
      `"name": "acme", "kv_namespaces": [{ "binding": "OAUTH_KV", "id": "${namespace.id}" }]`,
    );
    // An existing worker (this test may run alone).
    await mcpFleetDeploy('acme');

    const sinceWrangler = await fleet.lastSeq();
    await wranglerDeploy('acme');
    const wranglerCalls = await fleet.requests(sinceWrangler);
    expect(
      wranglerCalls.filter((call) => call.route === null || call.status >= 500),
      'every call wrangler made has a route',
    ).toEqual([]);
    const byWrangler = await landed('acme');

    const since = await fleet.lastSeq();
    await mcpFleetDeploy('acme');
    const calls = callsPerScript(await fleet.requests(since)).get('acme');
    const byApi = await landed('acme');

    expect(byApi).toEqual(byWrangler);
    expect(byApi.version.bindings).toContainEqual({ type: 'kv_namespace', name: 'OAUTH_KV', namespace_id: namespace.id });
    // Two calls (version, deployment): the direct upload, not wrangler's fallback.
    expect(calls).toBeLessThanOrEqual(2);
  });

  test('a section with other ratelimits: wrangler deploy and the direct upload land the same ratelimit binding, the upload on the fast path', async () => {
    // add wrote acme's ratelimits (the default); this one counts over the other period.
    const config = join(fleet.dir, 'wrangler.jsonc');
    const original = await readFile(config, 'utf8');
    onTestFinished(() => writeFile(config, original));
    const simple = ['env', 'acme', 'ratelimits', 0, 'simple'];
    await writeFile(config, applyEdits(original, modify(original, simple, { limit: 5, period: 10 }, {})));
    const namespaceId = (parseJsonc(original) as { env: Record<string, { ratelimits: { namespace_id: string }[] }> }).env.acme
      ?.ratelimits[0]?.namespace_id;
    // An existing worker (this test may run alone).
    await mcpFleetDeploy('acme');

    const sinceWrangler = await fleet.lastSeq();
    await wranglerDeploy('acme');
    expect((await fleet.requests(sinceWrangler)).filter((call) => call.route === null || call.status >= 500)).toEqual([]);
    const byWrangler = await landed('acme');

    const since = await fleet.lastSeq();
    await mcpFleetDeploy('acme');
    const calls = callsPerScript(await fleet.requests(since)).get('acme');
    const byApi = await landed('acme');

    expect(byApi).toEqual(byWrangler);
    expect(byApi.version.bindings).toContainEqual({
      type: 'ratelimit',
      name: 'RATE_LIMITER',
      namespace_id: namespaceId,
      simple: { limit: 5, period: 10 },
    });
    console.log(`[api calls] direct upload of acme with ratelimits: ${calls}`);
    // Two calls (version, deployment): the direct upload, not wrangler's fallback.
    expect(calls).toBeLessThanOrEqual(2);
  });
});
