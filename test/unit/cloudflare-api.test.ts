import { describe, expect, it } from 'vitest';
import { type CreateApiOptions, createSecretsApi, isCloudflareApiError } from '../../src/cloudflare/api.js';
import { DEFAULT_RETRY_POLICY, Pacer } from '../../src/cloudflare/pacer.js';
import type { Target } from '../../src/cloudflare/target.js';
import { createWorkersApi } from '../../src/cloudflare/workers-api.js';
import { fleetExitCode } from '../../src/ops/fleet/client-failure.js';

const target: Target = {
  kind: 'cloudflare',
  apiBaseUrl: 'https://api.example.test/client/v4',
  accountId: 'acct',
  token: 'token-value',
  workerUrl: async (name) => `https://${name}.example.workers.dev`,
  childEnv: () => ({}),
};

interface Seen {
  method: string;
  url: string;
  contentType: string | null;
  body: string;
}

function envelope(status: number, result: unknown, errors: { code: number; message: string }[] = []): Response {
  return new Response(JSON.stringify({ success: errors.length === 0, errors, messages: [], result }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

function fakeApi(answer: (seen: Seen) => Response) {
  const seen: Seen[] = [];
  const options: CreateApiOptions = {
    pacer: new Pacer([{ requests: 1_000, windowMs: 1_000 }]),
    policy: { ...DEFAULT_RETRY_POLICY, maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const entry = {
        method: request.method,
        url: request.url,
        contentType: request.headers.get('content-type'),
        body: await request.text(),
      };
      seen.push(entry);
      return answer(entry);
    },
  };
  return { api: createSecretsApi(target, options), workers: createWorkersApi(target, options), seen };
}

describe('createSecretsApi', () => {
  it('sets secrets with one merge-patch request per 100 keys, at the configured base URL', async () => {
    const { api, seen } = fakeApi(() => envelope(200, []));
    const values = new Map(Array.from({ length: 150 }, (_, i) => [`K${i}`, `value-${i}`] as const));
    expect(await api.bulkSetSecrets('acme', values)).toBe('ok');
    expect(seen).toHaveLength(2);
    for (const request of seen) {
      expect(request.method).toBe('PATCH');
      expect(request.url).toBe('https://api.example.test/client/v4/accounts/acct/workers/scripts/acme/secrets-bulk');
      expect(request.contentType).toBe('application/merge-patch+json');
    }
    const [first, second] = seen.map((request) => JSON.parse(request.body) as { secrets: Record<string, unknown> });
    expect(Object.keys(first?.secrets ?? {})).toHaveLength(100);
    expect(first?.secrets.K0).toEqual({ name: 'K0', text: 'value-0', type: 'secret_text' });
    // The rest go in the second request: every key exactly once, none lost or sent twice.
    expect(Object.keys(second?.secrets ?? {})).toHaveLength(50);
    expect([...Object.keys(first?.secrets ?? {}), ...Object.keys(second?.secrets ?? {})].toSorted()).toEqual([...values.keys()].toSorted());
    expect(second?.secrets.K149).toEqual({ name: 'K149', text: 'value-149', type: 'secret_text' });
  });

  it('reports a missing worker (10007) as missing instead of creating one', async () => {
    const { api, workers, seen } = fakeApi(() => envelope(404, null, [{ code: 10007, message: 'workers.api.error.script_not_found' }]));
    expect(await api.bulkSetSecrets('typo', new Map([['API_KEY', 'v']]))).toBe('missing');
    expect(await api.listSecretNames('typo')).toBeUndefined();
    expect(await workers.deleteScript('typo')).toBe('absent');
    expect(seen.every((request) => request.method !== 'PUT')).toBe(true);
  });

  it('maps API errors to Cloudflare codes and a hint, and never echoes the request body', async () => {
    const { api } = fakeApi(() => envelope(403, null, [{ code: 10000, message: 'Authentication error' }]));
    const error = await api.bulkSetSecrets('acme', new Map([['API_KEY', 'super-secret-value']])).catch((e: unknown) => e);
    expect(isCloudflareApiError(error)).toBe(true);
    if (!isCloudflareApiError(error)) return;
    expect(error.message).toContain('10000 Authentication error');
    expect(error.hint).toContain('Workers Scripts: Edit');
    expect(error.applied).toBe('no');
    expect(error.exitCode).toBe(1);
    expect(`${error.message} ${error.hint}`).not.toContain('super-secret-value');
  });

  it('retries 5xx, then reports that the change may or may not have been applied', async () => {
    const { api, seen } = fakeApi(() => new Response('<html>bad gateway</html>', { status: 502 }));
    const error = await api.bulkSetSecrets('acme', new Map([['API_KEY', 'v']])).catch((e: unknown) => e);
    expect(seen).toHaveLength(2);
    expect(isCloudflareApiError(error) && error.applied).toBe('unknown');
    expect(isCloudflareApiError(error) && error.message).not.toContain('<html>');
  });

  it('lists secret names', async () => {
    const { api } = fakeApi(() =>
      envelope(200, [
        { name: 'API_KEY', type: 'secret_text' },
        { name: 'UPSTREAM_TOKEN', type: 'secret_text' },
      ]),
    );
    expect(await api.listSecretNames('acme')).toEqual(['API_KEY', 'UPSTREAM_TOKEN']);
  });
});

describe('fleetExitCode', () => {
  const bad = { message: 'x', exitCode: 2 as const };
  const failed = { message: 'x', exitCode: 1 as const };
  it('is 0 when all succeeded, 2 when every client failed on bad input, else 1', () => {
    expect(fleetExitCode([undefined, undefined])).toBe(0);
    expect(fleetExitCode([bad])).toBe(2);
    expect(fleetExitCode([bad, bad])).toBe(2);
    expect(fleetExitCode([bad, undefined])).toBe(1);
    expect(fleetExitCode([failed, bad])).toBe(1);
  });
});
