import { describe, expect, test } from 'vitest';
import { clientUrl, parseUrlOverrides, resolveClientUrls, routeBaseUrl, type WorkerUrlSource } from '../../src/ops/verify/client-urls.js';
import { FleetError } from '../../src/util/errors.js';
import { envClient as client, fakeTarget as target } from '../helpers/url-target.js';

function usage(fn: () => unknown): FleetError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FleetError) return error;
    throw error;
  }
  throw new Error('expected a FleetError');
}

describe('parseUrlOverrides', () => {
  const known = ['acme', 'beta'];

  test('parses client=url pairs and normalizes the base URL', () => {
    const overrides = parseUrlOverrides(['acme=https://mcp.acme.example/', 'beta=https://x.example/tenants/beta/mcp'], known);
    expect(overrides.get('acme')).toBe('https://mcp.acme.example');
    expect(overrides.get('beta')).toBe('https://x.example/tenants/beta');
  });

  test('a URL may contain "=" after the first one', () => {
    expect(parseUrlOverrides(['acme=https://h.example/a=b'], known).get('acme')).toBe('https://h.example/a=b');
  });

  test.each([
    ['acme', '--url "acme": expected <client>=<url>'],
    ['=https://x.example', 'the client name before "=" is empty'],
    ['acme=', '--url acme=: the URL after "=" is empty'],
    ['nobody=https://x.example', '--url nobody=…: unknown client "nobody"'],
    ['acme=mcp.acme.example', '--url acme=mcp.acme.example: not an absolute URL'],
    ['acme=ftp://mcp.acme.example', 'only http and https URLs can be verified'],
    ['acme=https://user:pw@mcp.acme.example', 'credentials in the URL are not supported'],
    ['acme=https://mcp.acme.example/?k=v', 'without a query or fragment'],
  ])('%s is bad usage naming the flag', (value, message) => {
    const error = usage(() => parseUrlOverrides([value], known));
    expect(error.exitCode).toBe(2);
    expect(error.message.startsWith('--url ')).toBe(true);
    expect(error.message).toContain(message);
  });

  test('the same client twice is bad usage', () => {
    const error = usage(() => parseUrlOverrides(['acme=https://a.example', 'acme=https://b.example'], known));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('--url is given twice for client "acme"');
  });

  test('does not echo a password in a URL', () => {
    const error = usage(() => parseUrlOverrides(['acme=https://user:hunter2@mcp.acme.example'], known));
    expect(error.message).toBe('--url acme=…: credentials in the URL are not supported');
    expect(error.hint ?? '').not.toContain('hunter2');
  });
});

describe('routeBaseUrl', () => {
  test.each([
    ['mcp.acme.example/*', 'https://mcp.acme.example'],
    ['mcp.acme.example', 'https://mcp.acme.example'],
    ['api.example.com/acme/*', 'https://api.example.com/acme'],
    ['api.example.com/acme*', 'https://api.example.com/acme'],
    ['https://mcp.acme.example/*', 'https://mcp.acme.example'],
    ['http://mcp.acme.example/*', 'https://mcp.acme.example'],
    ['MCP.Acme.Example/*', 'https://mcp.acme.example'],
  ])('%s → %s', (pattern, url) => {
    expect(routeBaseUrl(pattern)).toBe(url);
  });

  test.each(['*.example.com/*', '*example.com/*', 'example.com/*/mcp', ''])('%s names no single URL', (pattern) => {
    expect(routeBaseUrl(pattern)).toBeUndefined();
  });
});

describe('clientUrl', () => {
  test('--url wins over routes and the target', async () => {
    const t = target();
    const c = client('acme', { routes: [{ pattern: 'mcp.acme.example/*', zone_name: 'acme.example' }] });
    expect(await clientUrl(c, t, new Map([['acme', 'https://override.example']]))).toEqual({
      url: 'https://override.example',
      source: 'override',
    });
    expect(t.calls).toEqual([]);
  });

  test('a route or custom domain wins over workers.dev', async () => {
    const t = target();
    expect(await clientUrl(client('acme', { routes: [{ pattern: 'mcp.acme.example', custom_domain: true }] }), t, new Map())).toEqual({
      url: 'https://mcp.acme.example',
      source: 'route',
    });
    expect(await clientUrl(client('beta', { route: 'beta.example.com/*' }), t, new Map())).toEqual({
      url: 'https://beta.example.com',
      source: 'route',
    });
    expect(t.calls).toEqual([]);
  });

  test('the first usable route is taken; wildcard hosts are skipped', async () => {
    const c = client('acme', { routes: ['*.acme.example/*', 'mcp.acme.example/*'] });
    expect((await clientUrl(c, target(), new Map())).url).toBe('https://mcp.acme.example');
  });

  test('without routes, the target URL (workers.dev) of the worker name, without a trailing slash', async () => {
    const t = target();
    const c = client('acme', { name: 'acme-prod' });
    expect(await clientUrl(c, t, new Map())).toEqual({ url: 'https://acme-prod.team.workers.dev', source: 'target' });
    expect(t.calls).toEqual(['acme-prod']);
  });

  test('only wildcard routes: workers.dev, unless workers.dev is off', async () => {
    expect((await clientUrl(client('acme', { routes: ['*.acme.example/*'] }), target(), new Map())).source).toBe('target');
    await expect(
      clientUrl(client('acme', { routes: ['*.acme.example/*'], workers_dev: false }), target(), new Map()),
    ).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('no URL can be derived from its routes'),
      hint: 'Pass --url acme=<url>.',
    });
  });

  test('on the local edge, routes are ignored: the edge serves every worker itself', async () => {
    const c = client('acme', { routes: ['mcp.acme.example/*'] });
    expect(await clientUrl(c, target('local'), new Map())).toEqual({ url: 'http://acme.localhost:8787', source: 'target' });
  });

  test('a failing target lookup becomes a FleetError that suggests --url', async () => {
    const failing: WorkerUrlSource = { kind: 'cloudflare', workerUrl: () => Promise.reject(new Error('connect ECONNREFUSED')) };
    await expect(clientUrl(client('acme'), failing, new Map())).rejects.toBeInstanceOf(FleetError);
    await expect(clientUrl(client('acme'), failing, new Map())).rejects.toMatchObject({
      exitCode: 1,
      message: 'could not find the URL of worker "acme": connect ECONNREFUSED',
      hint: expect.stringContaining('--url acme=<url>'),
    });
  });

  test('resolveClientUrls keeps the clients in order', async () => {
    const urls = await resolveClientUrls([client('b'), client('a')], target(), new Map([['a', 'https://a.example']]));
    expect([...urls]).toEqual([
      ['b', { url: 'https://b.team.workers.dev', source: 'target' }],
      ['a', { url: 'https://a.example', source: 'override' }],
    ]);
  });
});
