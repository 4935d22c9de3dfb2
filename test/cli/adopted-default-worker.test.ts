import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type {
  AddJson,
  ConnectJson,
  DeployJson,
  ListJson,
  MetricsJson,
  PushJson,
  RemoveJson,
  RotateJson,
  SecretsStatusJson,
  StatusJson,
  UpgradeConfigJson,
  VerifyJson,
} from '../../src/ui/json/index.js';
import { storedWorker } from '../helpers/edge-state.js';
import { callsPerScript, closeTestFleet, createTestFleet, randomValue, type TestFleet } from '../helpers/fleet.js';

/**
 * A project laid out the way fleets grow before they have a tool: the top-level worker ("resin",
 * deployed with plain `wrangler deploy`) serves a client of its own from `.secrets.resin`, beside
 * an `env.evergreen` client. Adopted, the top-level worker is a client like the other for every
 * command, deployed without `--env`; and a project whose top-level worker has no secrets file is
 * left exactly as before.
 */

const SEED_CONFIG = (compatibilityDate: string) => `// Resin MCP server: one codebase, one worker per client.
{
  "$schema": "node_modules/wrangler/config-schema.json",
  "name": "resin", // the default worker: resin's own team
  "main": "src/index.ts",
  "compatibility_date": "${compatibilityDate}",
  "vars": { "CLIENT_ID": "resin", "RATE_LIMIT": "100/60" },
  "analytics_engine_datasets": [{ "binding": "ANALYTICS", "dataset": "resin_metrics" }],
  "ratelimits": [{ "name": "RATE_LIMITER", "namespace_id": "1001", "simple": { "limit": 100, "period": 60 } }],
  "version_metadata": { "binding": "CF_VERSION_METADATA" },
  "env": {
    "evergreen": {
      "name": "evergreen",
      "analytics_engine_datasets": [{ "binding": "ANALYTICS", "dataset": "evergreen_metrics" }],
      "ratelimits": [{ "name": "RATE_LIMITER", "namespace_id": "1002", "simple": { "limit": 100, "period": 60 } }],
      "vars": { "CLIENT_ID": "evergreen", "RATE_LIMIT": "100/60" }
    }
  }
}
`;

let fleet: TestFleet;
const configPath = () => join(fleet.dir, 'wrangler.jsonc');

/** A secrets file as its owner wrote it before mcp-fleet (0600, the template's keys). */
async function writeSeedSecrets(client: string): Promise<void> {
  const apiKey = randomValue(`key-${client}`);
  const token = randomValue(`up-${client}`);
  fleet.leaks.addSecret(apiKey, `API_KEY of ${client}`);
  fleet.leaks.addSecret(token, `UPSTREAM_TOKEN of ${client}`);
  await writeFile(join(fleet.dir, `.secrets.${client}`), `API_KEY=${apiKey}\nUPSTREAM_TOKEN=${token}\n`, { mode: 0o600 });
}

beforeAll(async () => {
  fleet = await createTestFleet('adopted', []);
  const date = /"compatibility_date": "([\d-]+)"/.exec(await readFile(configPath(), 'utf8'))?.[1] as string;
  await writeFile(configPath(), SEED_CONFIG(date));
  await writeSeedSecrets('resin');
  await writeSeedSecrets('evergreen');
}, 180_000);

afterAll(() => closeTestFleet(fleet));

describe('an adopted project whose top-level worker serves a client', () => {
  test('init --adopt finds both clients, the top-level worker among them, and changes no config byte', async () => {
    const before = await readFile(configPath(), 'utf8');
    const adopted = await fleet.cli(['init', '--adopt']);
    expect(adopted.exitCode, adopted.stderr).toBe(0);
    expect(adopted.stdout + adopted.stderr).toContain('clients: resin (top-level worker), evergreen');
    expect(await readFile(configPath(), 'utf8')).toBe(before);

    const list = await fleet.cliJson<ListJson>(['list']);
    expect(list.json.map(({ client, env, worker, dataset }) => ({ client, env, worker, dataset }))).toEqual([
      { client: 'resin', env: null, worker: 'resin', dataset: 'resin_metrics' },
      { client: 'evergreen', env: 'evergreen', worker: 'evergreen', dataset: 'evergreen_metrics' },
    ]);
    const human = await fleet.cli(['list']);
    expect(human.stdout).toMatch(/resin \(top-level\)\s+resin\s+resin_metrics\s+key\s+complete/);
  });

  test('deploy --all ships the top-level worker as its own worker, for as many API calls as an env client', async () => {
    const since = await fleet.lastSeq();
    const deploy = await fleet.cliJson<DeployJson>(['deploy', '--all', '--local']);
    expect(deploy.exitCode, deploy.stderr).toBe(0);
    expect(deploy.json.clients.map((c) => [c.client, c.ok])).toEqual([
      ['resin', true],
      ['evergreen', true],
    ]);
    // The top level binds version_metadata, the older env section does not: only resin's checks can wait for the new version.
    expect(deploy.json.clients.map((c) => [c.client, c.plan.namesVersion])).toEqual([
      ['resin', true],
      ['evergreen', false],
    ]);
    const calls = callsPerScript(await fleet.requests(since));
    expect(calls.get('resin')).toBe(calls.get('evergreen'));
    expect(calls.get('resin')).toBeLessThanOrEqual(3);

    // The top-level worker carries the top level's bindings, and wrangler's tag for a top-level deploy.
    const { script } = await storedWorker(fleet, 'resin');
    const bindings = script.versions[0]?.bindings.map((b) => `${b.type}:${b.name}:${b.text ?? b.dataset ?? ''}`);
    expect(bindings).toEqual(
      expect.arrayContaining(['plain_text:CLIENT_ID:resin', 'analytics_engine:ANALYTICS:resin_metrics', 'secret_text:API_KEY:']),
    );
    expect(script.tags).toEqual(['cf:service=resin']);
    const resinKey = (await fleet.secrets('resin')).get('API_KEY') as string;
    expect(await fleet.accepts('resin', resinKey)).toBe(true);
    expect(await fleet.refuses('evergreen', resinKey)).toBe(true);
  });

  test('verify proves both, whoami included (the top-level worker answers as resin)', async () => {
    const verify = await fleet.cliJson<VerifyJson>(['verify', '--all', '--local']);
    expect(verify.exitCode, verify.stderr).toBe(0);
    expect(verify.json.clients.map((c) => [c.client, c.ok])).toEqual([
      ['resin', true],
      ['evergreen', true],
    ]);
  });

  test('upgrade-config gives the older env section the version_metadata it lacks, and nothing else', async () => {
    const before = await readFile(configPath(), 'utf8');
    const check = await fleet.cliJson<UpgradeConfigJson>(['upgrade-config', '--all', '--check']);
    expect(check.exitCode).toBe(1);
    expect(check.json).toMatchObject({ ok: false, changed: true });
    expect(check.json.clients).toEqual([
      { client: 'resin', section: 'the top level', added: [] },
      { client: 'evergreen', section: 'env.evergreen', added: ['version_metadata'] },
    ]);
    expect(await readFile(configPath(), 'utf8')).toBe(before);

    const upgraded = await fleet.cliJson<UpgradeConfigJson>(['upgrade-config', '--all']);
    expect(upgraded.exitCode, upgraded.stderr).toBe(0);
    const after = await readFile(configPath(), 'utf8');
    // One insertion in evergreen's section (and the comma before it); every other byte as it was.
    const start = [...before].findIndex((char, index) => char !== after[index]);
    const inserted = after.slice(start, after.length - (before.length - start));
    expect(after).toBe(before.slice(0, start) + inserted + before.slice(start));
    expect(inserted.replace(/\s/g, '')).toBe(',"version_metadata":{"binding":"CF_VERSION_METADATA"}');
    expect(after.indexOf(inserted)).toBeGreaterThan(after.indexOf('"evergreen": {'));

    const again = await fleet.cliJson<UpgradeConfigJson>(['upgrade-config', '--all', '--check']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.json).toMatchObject({ ok: true, changed: false });
    const deploy = await fleet.cliJson<DeployJson>(['deploy', 'evergreen', '--local']);
    expect(deploy.exitCode, deploy.stderr).toBe(0);
    expect(deploy.json.clients[0]?.plan).toMatchObject({ namesVersion: true });
  });

  test('secrets push, rotate and status act on the top-level worker alone, and on both with --all', async () => {
    const evergreenKey = (await fleet.secrets('evergreen')).get('API_KEY') as string;
    const oldKey = (await fleet.secrets('resin')).get('API_KEY') as string;
    await fleet.setSecret('resin', 'UPSTREAM_TOKEN', randomValue('up-resin-2'));
    const push = await fleet.cliJson<PushJson>(['secrets', 'push', 'resin', '--local']);
    expect(push.exitCode, push.stderr).toBe(0);

    const rotate = await fleet.cliJson<RotateJson>(['secrets', 'rotate', 'resin', '--local']);
    expect(rotate.exitCode, rotate.stderr).toBe(0);
    const newKey = (await fleet.secrets('resin')).get('API_KEY') as string;
    expect(newKey).not.toBe(oldKey);
    expect(await fleet.accepts('resin', newKey)).toBe(true);
    expect(await fleet.refuses('resin', oldKey)).toBe(true);
    expect(await fleet.accepts('evergreen', evergreenKey)).toBe(true);

    // And with --all, the top-level worker and the env client each get their own new key.
    const before = { resin: newKey, evergreen: evergreenKey };
    const all = await fleet.cliJson<RotateJson>(['secrets', 'rotate', '--all', '--local']);
    expect(all.exitCode, all.stderr).toBe(0);
    expect(all.json.clients.map((c) => [c.client, c.ok])).toEqual([
      ['resin', true],
      ['evergreen', true],
    ]);
    for (const client of ['resin', 'evergreen'] as const) {
      const key = (await fleet.secrets(client)).get('API_KEY') as string;
      expect(key).not.toBe(before[client]);
      expect(await fleet.accepts(client, key)).toBe(true);
      expect(await fleet.refuses(client, before[client])).toBe(true);
      expect(await fleet.refuses(client === 'resin' ? 'evergreen' : 'resin', key)).toBe(true);
    }

    const status = await fleet.cliJson<SecretsStatusJson>(['secrets', 'status', '--all', '--local']);
    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.json.clients.map((c) => [c.client, c.inSync])).toEqual([
      ['resin', true],
      ['evergreen', true],
    ]);
  });

  test('status, connect and metrics treat it as a client', async () => {
    const status = await fleet.cliJson<StatusJson>(['status', '--all', '--local']);
    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.json.clients.map((c) => [c.client, c.code])).toEqual([
      ['resin', 'current'],
      ['evergreen', 'current'],
    ]);

    const connect = await fleet.cliJson<ConnectJson>(['connect', 'resin', '--for', 'json', '--local']);
    expect(connect.exitCode, connect.stderr).toBe(0);
    expect(connect.json.clients[0]?.config).toMatchObject({ url: `${fleet.workerUrl('resin')}/mcp` });

    // Verify and the deploy's checks called /health too: the 3 requests made here are the difference.
    const healthRequests = async (): Promise<number> => {
      const metrics = await fleet.cliJson<MetricsJson>(['metrics', 'resin', '--local']);
      expect(metrics.exitCode, metrics.stderr).toBe(0);
      expect(metrics.json.clients[0]?.dataset).toBe('resin_metrics');
      return metrics.json.clients[0]?.routes.find((r) => r.route === '/health')?.requests ?? 0;
    };
    const points = fleet.edge.analytics.list('resin').length;
    const before = await healthRequests();
    for (let i = 0; i < 3; i++) await (await fetch(`${fleet.workerUrl('resin')}/health`)).body?.cancel();
    const deadline = Date.now() + 15_000;
    while (fleet.edge.analytics.list('resin').length < points + 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await healthRequests()).toBe(before + 3);
  });

  test('the wrangler fallback deploys the top-level worker with wrangler deploy --env= (the top level), tagged as wrangler tags it', async () => {
    const text = await readFile(configPath(), 'utf8');
    // A setting only wrangler deploys; at the top level every env inherits it, so only resin is deployed.
    await writeFile(configPath(), text.replace('"main": "src/index.ts",', '"main": "src/index.ts", "limits": { "cpu_ms": 30000 },'));
    try {
      const deploy = await fleet.cliJson<DeployJson>(['deploy', 'resin', '--local']);
      expect(deploy.exitCode, deploy.stderr).toBe(0);
      expect(deploy.json.clients[0]?.plan.method).toBe('wrangler');
      const log = await readFile(deploy.json.clients[0]?.logPath as string, 'utf8');
      // An empty --env is how wrangler names the top level; without it, it warns of a mistake.
      expect(log.split('\n')[0]).toMatch(/\) deploy --env= → local /);
      expect(log).not.toContain('no target environment was specified');
      const { script } = await storedWorker(fleet, 'resin');
      expect(script.tags).toEqual(['cf:service=resin']);
    } finally {
      await writeFile(configPath(), text);
    }
  });
});

describe('the top-level worker without a secrets file', () => {
  test('remove resin keeps the top-level config and the worker, and it is no client any more', async () => {
    const before = await readFile(configPath(), 'utf8');
    const removed = await fleet.cliJson<RemoveJson>(['remove', 'resin', '--keep-worker', '--yes']);
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.json.configChanged).toBe(false);
    expect(await readFile(configPath(), 'utf8')).toBe(before);
    expect((await stat(removed.json.secretsKeptAt ?? 'not kept')).mode & 0o777).toBe(0o600);

    const list = await fleet.cliJson<ListJson>(['list']);
    expect(list.json.map((c) => c.client)).toEqual(['evergreen']);
    const deploy = await fleet.cli(['deploy', 'resin', '--local']);
    expect(deploy.exitCode).toBe(2);
    expect(deploy.stderr).toContain('unknown client: resin');
    expect(deploy.stderr).toContain('add resin --default');
  });

  test('add resin --default makes it a client again, adding nothing the top level already has', async () => {
    const before = await readFile(configPath(), 'utf8');
    // Its worker runs: add keeps a live worker's key unless asked for a new one (adopt.test.ts gives it the old one).
    const added = await fleet.cliJson<AddJson>(['add', 'resin', '--default', '--new-key', '--from-env', '--yes'], {
      env: { UPSTREAM_TOKEN: randomValue('up-resin-3') },
    });
    expect(added.exitCode, added.stderr).toBe(0);
    expect(added.json).toMatchObject({ default: true, configAdded: [], dataset: 'resin_metrics' });
    expect(await readFile(configPath(), 'utf8')).toBe(before);
    expect((await stat(join(fleet.dir, '.secrets.resin'))).mode & 0o777).toBe(0o600);
    const list = await fleet.cliJson<ListJson>(['list']);
    expect(list.json.map((c) => [c.client, c.env])).toEqual([
      ['resin', null],
      ['evergreen', 'evergreen'],
    ]);
  });

  test('add --default on a top level without vars or dataset adds CLIENT_ID and a dataset, and nothing else', async () => {
    const seeded = await readFile(configPath(), 'utf8');
    const bare = seeded
      .replace('  "vars": { "CLIENT_ID": "resin", "RATE_LIMIT": "100/60" },\n', '')
      .replace('  "analytics_engine_datasets": [{ "binding": "ANALYTICS", "dataset": "resin_metrics" }],\n', '');
    expect(bare).not.toContain('resin_metrics');
    await writeFile(configPath(), bare);
    try {
      await fleet.cli(['remove', 'resin', '--keep-worker', '--yes']);
      const added = await fleet.cliJson<AddJson>(['add', '--default', '--new-key', '--from-env', '--yes'], {
        env: { UPSTREAM_TOKEN: randomValue('up-resin-4') },
      });
      expect(added.exitCode, added.stderr).toBe(0);
      expect(added.json).toMatchObject({ configAdded: ['vars', 'analytics_engine_datasets'], dataset: 'resin_metrics' });
      const after = await readFile(configPath(), 'utf8');
      // Every byte of the file before stays, in order; the additions are the two new members.
      expect(after.startsWith(bare.slice(0, bare.lastIndexOf('}')).trimEnd())).toBe(true);
      const list = await fleet.cliJson<ListJson>(['list']);
      expect(list.json[0]).toMatchObject({ client: 'resin', env: null, dataset: 'resin_metrics' });
      const verify = await fleet.cliJson<DeployJson>(['deploy', 'resin', '--local']);
      expect(verify.exitCode, verify.stderr).toBe(0);
    } finally {
      await writeFile(configPath(), seeded);
    }
  });

  test('add --default refuses a top-level worker an env deploys too, and writes nothing', async () => {
    const seeded = await readFile(configPath(), 'utf8');
    const clash = seeded.replace('"name": "evergreen"', '"name": "resin"');
    await writeFile(configPath(), clash);
    try {
      const secrets = await readFile(join(fleet.dir, '.secrets.resin'), 'utf8');
      const added = await fleet.cli(['add', 'resin', '--default', '--force', '--yes']);
      expect(added.exitCode).toBe(2);
      const unnamed = await fleet.cli(['add']);
      expect(unnamed.exitCode).toBe(2);
      expect(unnamed.stderr).toMatch(/mcp-fleet(\.js)? add --default/);
      expect(added.stderr).toContain('env.evergreen deploys a worker of the same name');
      expect(await readFile(configPath(), 'utf8')).toBe(clash);
      expect(await readFile(join(fleet.dir, '.secrets.resin'), 'utf8')).toBe(secrets);
      // Two clients never share one worker: the top-level one is not a client while the clash lasts.
      const list = await fleet.cliJson<ListJson>(['list']);
      expect(list.json.map((c) => c.client)).toEqual(['evergreen']);
      // …and list says why, rather than ignoring its secrets file in silence.
      expect(list.stderr).toContain('.secrets.resin is there, but the top-level worker resin is not a client: env.evergreen deploys');
    } finally {
      await writeFile(configPath(), seeded);
    }
  });
});
