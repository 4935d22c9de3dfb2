import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { envArgs } from '../../src/cloudflare/wrangler.js';
import { addMember, type WranglerConfig } from '../../src/config/wrangler-config.js';
import { defaultClient, defaultWorkerProblem, type Fleet, loadFleet } from '../../src/fleet/fleet.js';
import { clientSettings } from '../../src/ops/deploy/rollout/client-settings.js';

/** When the top-level worker is a client, and how it is read, deployed and edited. */

const seed: WranglerConfig = {
  $schema: 'node_modules/wrangler/config-schema.json',
  name: 'resin',
  main: 'src/index.ts',
  compatibility_date: '2026-03-02',
  account_id: 'acct',
  vars: { CLIENT_ID: 'resin' },
  analytics_engine_datasets: [{ binding: 'ANALYTICS', dataset: 'resin_metrics' }],
  env: { evergreen: { name: 'evergreen', vars: { CLIENT_ID: 'evergreen' } } },
};

let dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  dirs = [];
});

async function project(config: WranglerConfig, secretsFiles: readonly string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-fleet-default-'));
  dirs.push(dir);
  await writeFile(join(dir, 'wrangler.jsonc'), JSON.stringify(config, null, 2));
  for (const name of secretsFiles) await writeFile(join(dir, `.secrets.${name}`), 'API_KEY=x\n', { mode: 0o600 });
  return dir;
}

describe('the top-level worker as a client', () => {
  it('is a client, first, exactly when .secrets.<its name> exists', async () => {
    const withFile = await loadFleet(await project(seed, ['resin', 'evergreen']));
    expect(withFile.clients.map((c) => [c.name, c.envName, c.workerName, c.dataset])).toEqual([
      ['resin', undefined, 'resin', 'resin_metrics'],
      ['evergreen', 'evergreen', 'evergreen', undefined],
    ]);
    const without = await loadFleet(await project(seed, ['evergreen']));
    expect(without.clients.map((c) => c.name)).toEqual(['evergreen']);
  });

  it('never when an env has its name or deploys its worker, or its name is no client name', () => {
    expect(defaultWorkerProblem(seed)).toBeUndefined();
    expect(defaultWorkerProblem({ ...seed, env: { resin: { name: 'x' } } })).toBe('env.resin is a client of the same name');
    expect(defaultWorkerProblem({ ...seed, env: { acme: { name: 'resin' } } })).toBe('env.acme deploys a worker of the same name');
    expect(defaultWorkerProblem({ ...seed, name: undefined })).toBe('the top level has no "name"');
    for (const hostile of ['../../etc/passwd', 'Resin', 'template', 'a'.repeat(60)]) {
      expect(defaultWorkerProblem({ ...seed, name: hostile }), hostile).toMatch(/^its name /);
      expect(defaultClient('/p', { ...seed, name: hostile })).toBeUndefined();
    }
  });

  it('a hostile top-level name is never looked up as a secrets file', async () => {
    const dir = await project({ ...seed, name: 'x/../../escape' }, []);
    // The name would resolve to a file outside the project, which exists: it must not make a client.
    await writeFile(join(dir, '..', 'escape'), 'API_KEY=x\n');
    dirs.push(join(dir, '..', 'escape'));
    expect((await loadFleet(dir)).clients.map((c) => c.name)).toEqual(['evergreen']);
  });

  it('reads its settings from the top level: its own bindings, wrangler tags of a top-level deploy, the direct upload', () => {
    const client = defaultClient('/p', seed);
    expect(client).toBeDefined();
    const fleet = { config: seed, topLevelName: 'resin' } as unknown as Fleet;
    const settings = clientSettings(fleet, client as NonNullable<typeof client>);
    expect(settings.wranglerOnly).toBeUndefined();
    expect(settings.tags).toEqual(['cf:service=resin']);
    expect(settings.compatibilityDate).toBe('2026-03-02');
    expect(settings.bindings).toEqual([
      { name: 'CLIENT_ID', type: 'plain_text', text: 'resin' },
      { name: 'ANALYTICS', type: 'analytics_engine', dataset: 'resin_metrics' },
    ]);
    // A top-level setting only wrangler deploys sends it to wrangler, as it does the envs.
    const limited = { ...seed, limits: { cpu_ms: 30_000 } };
    const withLimits = clientSettings(
      { config: limited, topLevelName: 'resin' } as unknown as Fleet,
      defaultClient('/p', limited) as NonNullable<typeof client>,
    );
    expect(withLimits.wranglerOnly).toContain('"limits"');
  });

  it('is deployed by wrangler with an empty --env, an env client with its own', () => {
    expect(envArgs(undefined)).toEqual(['--env=']);
    expect(envArgs('acme')).toEqual(['--env', 'acme']);
  });
});

describe('addMember', () => {
  it('adds a member to the top level or a nested object and changes no other byte', () => {
    const text = '// top\n{\n  "name": "resin", // the default worker\n  "vars": { "A": "1" }\n}\n';
    const top = addMember(text, [], 'analytics_engine_datasets', [{ binding: 'ANALYTICS', dataset: 'resin_metrics' }]);
    expect(top.startsWith('// top\n{\n  "name": "resin", // the default worker\n  "vars": { "A": "1" },\n')).toBe(true);
    expect(JSON.parse(top.replace(/\/\/.*$/gm, ''))).toEqual({
      name: 'resin',
      vars: { A: '1' },
      analytics_engine_datasets: [{ binding: 'ANALYTICS', dataset: 'resin_metrics' }],
    });
    const nested = addMember(text, ['vars'], 'CLIENT_ID', 'resin');
    expect(nested).toBe('// top\n{\n  "name": "resin", // the default worker\n  "vars": { "A": "1", "CLIENT_ID": "resin" }\n}\n');
  });
});
