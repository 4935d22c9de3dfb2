import { describe, expect, test } from 'vitest';
import type { ClientUrl } from '../../src/ops/verify/client-urls.js';
import { checkIsolation, mayPresentOtherKeys, otherKeysBarred, sameBaseUrl } from '../../src/ops/verify/isolation.js';
import { envClient as client, fakeTarget as target } from '../helpers/url-target.js';

/** Keys go only where they belong: the URL rule of verify's isolation probe — another client's key goes only to a URL the target itself forms. */

const override = (url: string): ClientUrl => ({ url, source: 'override' });

describe('the isolation URL rule (pure)', () => {
  test("a URL the target formed may be given another client's key", () => {
    expect(mayPresentOtherKeys({ url: 'https://acme.team.workers.dev', source: 'target' }, undefined)).toBe(true);
    expect(mayPresentOtherKeys({ url: 'http://acme.localhost:8787', source: 'target' }, undefined)).toBe(true);
  });

  test("an override or route is allowed only when it is the worker's own target URL", () => {
    const own = 'https://acme.team.workers.dev';
    expect(mayPresentOtherKeys(override('https://acme.team.workers.dev/'), own)).toBe(true);
    expect(mayPresentOtherKeys(override('https://ACME.team.workers.dev:443'), own)).toBe(true);
    expect(mayPresentOtherKeys(override('https://mcp.acme.example'), own)).toBe(false);
    expect(mayPresentOtherKeys({ url: 'https://mcp.acme.example', source: 'route' }, own)).toBe(false);
    // Another account's workers.dev subdomain, another worker, a path under it, plain http: all someone else's URL.
    expect(mayPresentOtherKeys(override('https://acme.other.workers.dev'), own)).toBe(false);
    expect(mayPresentOtherKeys(override('https://globex.team.workers.dev'), own)).toBe(false);
    expect(mayPresentOtherKeys(override('https://acme.team.workers.dev/proxy'), own)).toBe(false);
    expect(mayPresentOtherKeys(override('http://acme.team.workers.dev'), own)).toBe(false);
    expect(mayPresentOtherKeys(override('https://acme.team.workers.dev.evil.example'), own)).toBe(false);
    // Unknown own URL: nothing proves the override is the worker's.
    expect(mayPresentOtherKeys(override(own), undefined)).toBe(false);
  });

  test('sameBaseUrl compares scheme, host, port and path, not spelling', () => {
    expect(sameBaseUrl('http://127.0.0.1:8787/__workers/acme/', 'http://127.0.0.1:8787/__workers/acme')).toBe(true);
    expect(sameBaseUrl('http://127.0.0.1:8787', 'http://127.0.0.1:8788')).toBe(false);
    expect(sameBaseUrl('not a url', 'not a url')).toBe(false);
  });
});

describe("why a client's URL is barred from other keys", () => {
  test("the target's own URL is never questioned, and the target is not asked", async () => {
    const cf = target('cloudflare');
    expect(await otherKeysBarred(client('acme'), { url: 'https://acme.team.workers.dev', source: 'target' }, cf)).toBeUndefined();
    expect(cf.calls).toEqual([]);
  });

  test('a custom domain is barred without asking the target (no API call, no token needed)', async () => {
    const cf = target('cloudflare');
    const barred = await otherKeysBarred(client('acme'), override('https://mcp.acme.example'), cf);
    expect(barred).toBe("https://mcp.acme.example (from --url) is not acme's URL on the account's workers.dev subdomain");
    expect(
      await otherKeysBarred(client('acme', { routes: ['mcp.acme.example/*'] }), { url: 'https://mcp.acme.example', source: 'route' }, cf),
    ).toBe("https://mcp.acme.example (from a route) is not acme's URL on the account's workers.dev subdomain");
    expect(cf.calls).toEqual([]);
  });

  test('a workers.dev override is allowed only when the target confirms it', async () => {
    const cf = target('cloudflare');
    expect(await otherKeysBarred(client('acme'), override('https://acme.team.workers.dev'), cf)).toBeUndefined();
    expect(await otherKeysBarred(client('acme'), override('https://acme.evil.workers.dev'), cf)).toContain('is not acme');
    expect(cf.calls).toEqual(['acme', 'acme']);
    const failing = target('cloudflare', true);
    expect(await otherKeysBarred(client('acme'), override('https://acme.team.workers.dev'), failing)).toBe(
      "https://acme.team.workers.dev (from --url) could not be confirmed as acme's URL on the account's workers.dev subdomain (no Cloudflare API token)",
    );
  });

  test("on the local edge only the edge's URL for this worker is allowed", async () => {
    const local = target('local');
    expect(await otherKeysBarred(client('acme'), override('http://acme.localhost:8787'), local)).toBeUndefined();
    expect(await otherKeysBarred(client('acme'), override('http://beta.localhost:8787'), local)).toBe(
      "http://beta.localhost:8787 (from --url) is not acme's URL on the local edge",
    );
    expect(await otherKeysBarred(client('acme'), override('http://127.0.0.1:9999/recorder'), local)).toContain('is not acme');
  });
});

describe('a barred isolation check', () => {
  // The URL is one no request could reach: a barred check must not make any.
  const url = 'http://127.0.0.1:9/never';
  const barred = "https://mcp.acme.example (from --url) is not acme's URL on the account's workers.dev subdomain";

  test('is skipped, not passed, and says whose key was kept back and why', async () => {
    const check = await checkIsolation(url, { timeoutMs: 1, probe: { otherClient: 'beta', barred } });
    expect(check).toEqual({
      name: 'isolation',
      ok: true,
      skipped: true,
      ms: 0,
      detail: `not probed: ${barred}, so beta's key is not sent there`,
    });
  });

  test('still fails when the secrets files share the key (a comparison that needs no request)', async () => {
    const check = await checkIsolation(url, { timeoutMs: 1, probe: { otherClient: 'beta', barred }, sharesKeyWith: ['gamma'] });
    expect(check.ok).toBe(false);
    expect(check.skipped).toBeUndefined();
    expect(check.detail).toBe(`this client's API_KEY is also in the secrets file of gamma (${barred}, so beta's key is not sent there)`);
  });
});
