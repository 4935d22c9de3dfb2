import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/wrangler-config.js';
import { loadFleet } from '../../src/fleet/fleet.js';
import { DEFAULT_RATE_LIMIT, nextNamespaceId } from '../../src/fleet/rate-limits.js';
import { envSectionFor } from '../../src/ops/project/client-section.js';
import { upgradeConfig } from '../../src/ops/project/upgrade-config.js';

/** A config whose env.a has `ratelimits` set to the given JSON text, on line 3. */
function withRateLimits(json: string): string {
  return `{\n  "env": {\n    "a": { "name": "a", "ratelimits": ${json} }\n  }\n}\n`;
}

function thrownBy(text: string): unknown {
  try {
    parseConfigText(text, 'wrangler.jsonc');
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('ratelimits in a section', () => {
  it('accepts what Cloudflare accepts: a name, a positive integer namespace id, a limit per 10 or 60 seconds', () => {
    for (const period of [10, 60]) {
      const text = withRateLimits(`[{ "name": "RATE_LIMITER", "namespace_id": "1001", "simple": { "limit": 5, "period": ${period} } }]`);
      expect(parseConfigText(text, 'wrangler.jsonc').env?.a?.ratelimits?.[0]?.simple.period).toBe(period);
    }
  });

  it.each([
    [
      '[{ "name": "R", "namespace_id": "1001", "simple": { "limit": 5, "period": 30 } }]',
      'env.a.ratelimits[0].simple.period should be 10 or 60',
    ],
    ['[{ "name": "R", "namespace_id": "1001", "simple": { "limit": 5 } }]', 'env.a.ratelimits[0].simple.period is missing'],
    [
      '[{ "name": "R", "namespace_id": "1001", "simple": { "limit": 0, "period": 60 } }]',
      'env.a.ratelimits[0].simple.limit should be a positive whole number',
    ],
    [
      '[{ "name": "R", "namespace_id": "abc", "simple": { "limit": 5, "period": 60 } }]',
      'env.a.ratelimits[0].namespace_id should be a positive integer',
    ],
    [
      '[{ "name": "R", "namespace_id": 1001, "simple": { "limit": 5, "period": 60 } }]',
      'env.a.ratelimits[0].namespace_id should be a positive integer',
    ],
    ['[{ "namespace_id": "1001", "simple": { "limit": 5, "period": 60 } }]', 'env.a.ratelimits[0].name is missing'],
    ['{ "name": "R" }', 'env.a.ratelimits should be a list of'],
  ])('refuses %s with exit 2, naming the file and line', (json, message) => {
    expect(thrownBy(withRateLimits(json))).toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(new RegExp(`^wrangler\\.jsonc:3:\\d+: ${message.replace(/[.[\]]/g, '\\$&')}`)),
    });
  });
});

describe('the namespace id a new section gets', () => {
  it('starts at 1001 and is one past the highest the project uses, top level included', () => {
    expect(nextNamespaceId({})).toBe('1001');
    const entry = (id: string) => ({ name: 'RATE_LIMITER', namespace_id: id, simple: { limit: 1, period: 60 } });
    expect(nextNamespaceId({ env: { a: { ratelimits: [entry('1001')] }, b: { ratelimits: [entry('1004')] } } })).toBe('1005');
    expect(nextNamespaceId({ ratelimits: [entry('2000')], env: { a: { ratelimits: [entry('1001')] } } })).toBe('2001');
    // Low hand-written ids do not pull ours down into them.
    expect(nextNamespaceId({ env: { a: { ratelimits: [entry('7')] } } })).toBe('1001');
  });

  it('add writes the default limit, from one place, with the var that reports it', () => {
    const section = envSectionFor('acme', new Map(), { env: { old: { ratelimits: [] } } });
    expect(section.ratelimits).toEqual([{ name: 'RATE_LIMITER', namespace_id: '1001', simple: DEFAULT_RATE_LIMIT }]);
    expect(section.vars).toMatchObject({ CLIENT_ID: 'acme', RATE_LIMIT: `${DEFAULT_RATE_LIMIT.limit}/${DEFAULT_RATE_LIMIT.period}` });
  });

  it('upgrade-config gives each section without ratelimits its own id, and leaves a section that has them alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rate-limits-'));
    try {
      const config = join(dir, 'wrangler.jsonc');
      await writeFile(
        config,
        `{
  "name": "fleet",
  "main": "src/index.ts",
  "env": {
    // hand-tuned
    "acme": { "name": "acme", "vars": { "CLIENT_ID": "acme" }, "ratelimits": [{ "name": "RATE_LIMITER", "namespace_id": "1003", "simple": { "limit": 5, "period": 10 } }] },
    "beta": { "name": "beta", "vars": { "CLIENT_ID": "beta" } },
    "gamma": { "name": "gamma" }
  }
}
`,
      );
      const fleet = await loadFleet(dir);
      const result = await upgradeConfig(fleet, fleet.clients, { check: false });
      const added = Object.fromEntries(result.clients.map((client) => [client.client, client.added]));
      expect(added.acme).toEqual(['analytics_engine_datasets', 'version_metadata', 'vars.RATE_LIMIT']);
      expect(added.beta).toEqual(expect.arrayContaining(['ratelimits', 'vars.RATE_LIMIT']));
      const text = await readFile(config, 'utf8');
      expect(text).toContain('// hand-tuned');
      const env = parseConfigText(text, config).env ?? {};
      expect(env.acme?.ratelimits?.[0]?.simple).toEqual({ limit: 5, period: 10 });
      expect(env.acme?.vars?.RATE_LIMIT).toBe('5/10');
      expect(env.beta?.ratelimits?.[0]?.namespace_id).toBe('1004');
      expect(env.gamma?.ratelimits?.[0]?.namespace_id).toBe('1005');
      expect(env.gamma?.vars).toEqual({ CLIENT_ID: 'gamma', RATE_LIMIT: '600/60' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
