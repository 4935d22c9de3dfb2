import { describe, expect, it } from 'vitest';
import type { WranglerConfig } from '../../src/config/wrangler-config.js';
import { type Client, clientFromEnv, type Fleet } from '../../src/fleet/fleet.js';
import { buildGroups } from '../../src/ops/deploy/rollout/bundles.js';
import { clientSettings, uploadBindings } from '../../src/ops/deploy/rollout/client-settings.js';
import { settingsDrift } from '../../src/ops/deploy/rollout/ship-direct.js';

/** How a client's env section reads for the direct upload: bindings in wrangler's order, build groups, and what sends it to wrangler. */

function fleetOf(config: WranglerConfig): Fleet {
  const clients = Object.entries(config.env ?? {}).map(([name, env]) => clientFromEnv('/p', name, env));
  return {
    dir: '/p',
    configPath: '/p/wrangler.jsonc',
    configText: '',
    config,
    topLevelName: config.name,
    accountId: undefined,
    clients,
    requiredKeys: [],
    templatePath: '/p/.secrets.template',
    templateText: undefined,
  };
}

const base: WranglerConfig = {
  name: 'harbor',
  main: 'src/index.ts',
  compatibility_date: '2026-03-02',
  observability: { enabled: true },
  kv_namespaces: [{ binding: 'TOP_ONLY', id: 'x' }],
  env: {
    acme: {
      name: 'acme',
      vars: { CLIENT_ID: 'acme', LIMITS: { rpm: 5 } },
      analytics_engine_datasets: [{ binding: 'ANALYTICS', dataset: 'acme_metrics' }],
    },
    beta: { name: 'beta', vars: { CLIENT_ID: 'beta' } },
    gamma: { name: 'gamma', compatibility_flags: ['nodejs_compat'] },
    delta: { name: 'delta', routes: ['mcp.delta.example/*'] },
    kappa: { name: 'kappa', durable_objects: { bindings: [] } },
    oauth: {
      name: 'oauth',
      vars: { CLIENT_ID: 'oauth' },
      kv_namespaces: [{ binding: 'OAUTH_KV', id: '0123456789abcdef0123456789abcdef' }],
      analytics_engine_datasets: [{ binding: 'ANALYTICS', dataset: 'oauth_metrics' }],
    },
  },
};

describe('client settings for the direct upload', () => {
  const fleet = fleetOf(base);
  const settings = fleet.clients.map((client) => clientSettings(fleet, client));
  const of = (name: string) => settings.find((entry) => entry.client.name === name) as (typeof settings)[number];

  it("lists bindings in wrangler's order: string vars, other vars as json, secrets, datasets", () => {
    const bindings = uploadBindings(of('acme'), new Map([['API_KEY', 'k']]));
    expect(bindings.map((b) => `${b.type}:${b.name}`)).toEqual([
      'plain_text:CLIENT_ID',
      'json:LIMITS',
      'secret_text:API_KEY',
      'analytics_engine:ANALYTICS',
    ]);
    expect(bindings[1]).toMatchObject({ json: { rpm: 5 } });
  });

  it('keeps a client with KV namespaces on the direct upload: kv_namespace bindings after the secrets, before the datasets', () => {
    expect(of('oauth').wranglerOnly).toBeUndefined();
    const bindings = uploadBindings(of('oauth'), new Map([['API_KEY', 'k']]));
    expect(bindings.map((b) => `${b.type}:${b.name}`)).toEqual([
      'plain_text:CLIENT_ID',
      'secret_text:API_KEY',
      'kv_namespace:OAUTH_KV',
      'analytics_engine:ANALYTICS',
    ]);
    expect(bindings[2]).toEqual({ name: 'OAUTH_KV', type: 'kv_namespace', namespace_id: '0123456789abcdef0123456789abcdef' });
    // The top level's namespaces are not inherited, as wrangler has it.
    expect(uploadBindings(of('beta'), new Map()).map((b) => b.name)).toEqual(['CLIENT_ID']);
  });

  it('inherits build and runtime settings from the top level, never its bindings, and tags the env as wrangler does', () => {
    expect(of('acme')).toMatchObject({
      compatibilityDate: '2026-03-02',
      observability: { enabled: true },
      sourceMaps: true,
      wranglerOnly: undefined,
    });
    expect(of('acme').tags).toEqual(['cf:service=harbor', 'cf:environment=acme']);
  });

  it('groups clients that differ only in name, vars and bindings; a build setting makes a group of its own', () => {
    const groups = buildGroups(settings);
    expect(groups.map((group) => group.clients.map((entry) => entry.client.name))).toEqual([['acme', 'beta', 'oauth'], ['gamma']]);
  });

  it('sends routes, Durable Objects and other unhandled settings through wrangler, saying which', () => {
    expect(of('delta').wranglerOnly).toContain('"routes"');
    expect(of('kappa').wranglerOnly).toContain('"durable_objects"');
    const withAssets = fleetOf({ ...base, assets: { directory: 'public' } });
    expect(clientSettings(withAssets, withAssets.clients[1] as Client).wranglerOnly).toContain('"assets"');
  });

  it('patches non-versioned settings only when they drifted', () => {
    const acme = of('acme');
    expect(
      settingsDrift(acme, {
        name: 'acme',
        tags: ['cf:service=harbor', 'cf:environment=acme'],
        observability: { enabled: true, head_sampling_rate: 1 },
      }),
    ).toBeUndefined();
    expect(settingsDrift(acme, { name: 'acme', tags: ['team:x'], observability: { enabled: true } })).toEqual({
      observability: { enabled: true },
      tags: ['team:x', 'cf:service=harbor', 'cf:environment=acme'],
    });
    expect(settingsDrift(acme, { name: 'acme', tags: acme.tags, observability: { enabled: false } })).toBeDefined();
  });
});

describe('rate limits on the direct upload', () => {
  const rateLimit = { name: 'RATE_LIMITER', namespace_id: '1001', simple: { limit: 600, period: 60 } };
  const fleetWith = (extra: Record<string, unknown>) =>
    fleetOf({
      name: 'harbor',
      main: 'src/index.ts',
      // A top-level rate limit is not inherited, as wrangler has it.
      ratelimits: [{ ...rateLimit, name: 'TOP_ONLY' }],
      env: {
        acme: {
          name: 'acme',
          vars: { CLIENT_ID: 'acme', RATE_LIMIT: '600/60' },
          kv_namespaces: [{ binding: 'OAUTH_KV', id: 'ns' }],
          analytics_engine_datasets: [{ binding: 'ANALYTICS', dataset: 'acme_metrics' }],
          version_metadata: { binding: 'CF_VERSION_METADATA' },
          ratelimits: [rateLimit],
          ...extra,
        },
      },
    });
  const settingsOf = (fleet: Fleet) => clientSettings(fleet, fleet.clients[0] as Client);

  it('keeps a section with ratelimits on the direct upload: ratelimit bindings after the KV namespaces, before the datasets', () => {
    const settings = settingsOf(fleetWith({}));
    expect(settings.wranglerOnly).toBeUndefined();
    const bindings = uploadBindings(settings, new Map([['API_KEY', 'k']]));
    expect(bindings.map((b) => `${b.type}:${b.name}`)).toEqual([
      'plain_text:CLIENT_ID',
      'plain_text:RATE_LIMIT',
      'secret_text:API_KEY',
      'kv_namespace:OAUTH_KV',
      'ratelimit:RATE_LIMITER',
      'analytics_engine:ANALYTICS',
      'version_metadata:CF_VERSION_METADATA',
    ]);
    expect(bindings[4]).toEqual({ name: 'RATE_LIMITER', type: 'ratelimit', namespace_id: '1001', simple: { limit: 600, period: 60 } });
  });

  it('sends a ratelimits entry with fields the direct upload does not know through wrangler', () => {
    const settings = settingsOf(fleetWith({ ratelimits: [{ ...rateLimit, remote: true }] }));
    expect(settings.wranglerOnly).toContain('ratelimits');
  });
});
