import { describe, expect, test } from 'vitest';
import type { EdgeInfo } from '../../src/local/lifecycle/edge-file.js';
import { edgeProblemError, edgeUrlProblem, identityProof, isValidNonce } from '../../src/local/lifecycle/edge-identity.js';

/** A stale edge.json never gets the token: what edge.json may point at, and the challenge only the edge can answer. */

const info: EdgeInfo = {
  apiBaseUrl: 'http://127.0.0.1:8787/client/v4',
  accountId: 'a'.repeat(32),
  token: 'edge-token-0123456789abcdef',
  pid: 4242,
  port: 8787,
  workerUrlTemplate: 'http://{name}.localhost:8787',
  workerPathUrlTemplate: 'http://127.0.0.1:8787/__workers/{name}',
  adminUrl: 'http://127.0.0.1:8787/__edge',
  startedAt: '2026-11-21T10:00:00.000Z',
};

describe('the edge proves itself without sending its token', () => {
  test('edge.json must point at plain http on loopback, on the port it records', () => {
    expect(edgeUrlProblem(info)).toBeUndefined();
    expect(edgeUrlProblem({ ...info, apiBaseUrl: 'https://api.cloudflare.com/client/v4' })).toContain('https://api.cloudflare.com');
    expect(edgeUrlProblem({ ...info, adminUrl: 'http://127.0.0.1:9999/__edge' })).toContain('not http://127.0.0.1:8787/__edge');
    expect(edgeUrlProblem({ ...info, workerUrlTemplate: 'http://{name}.evil.example:8787' })).toContain('evil.example');
    expect(edgeUrlProblem({ ...info, workerPathUrlTemplate: 'http://10.0.0.1:8787/__workers/{name}' })).toContain('10.0.0.1');
  });

  test.each([
    ['another loopback address on the port', 'workerUrlTemplate', 'http://127.0.0.2:8787/__workers/{name}'],
    ['[::1] on the port (another listener than 127.0.0.1)', 'workerPathUrlTemplate', 'http://[::1]:8787/__workers/{name}'],
    ['a .. path to another worker', 'workerPathUrlTemplate', 'http://127.0.0.1:8787/__workers/{name}/../spy'],
    ['another worker, with the name moved to the query', 'workerUrlTemplate', 'http://spy.localhost:8787/?{name}'],
    ['a neighbour by prefix', 'workerUrlTemplate', 'http://{name}x.localhost:8787'],
    ['a path after the name', 'workerUrlTemplate', 'http://{name}.localhost:8787/x'],
    ['localhost instead of the name', 'apiBaseUrl', 'http://localhost:8787/client/v4'],
  ] as const)('a tampered edge.json is refused: %s', (_what, field, url) => {
    expect(edgeUrlProblem({ ...info, [field]: url })).toContain(`${field} ${url} is not`);
  });

  test('the proof depends on the token, the nonce and the edge process, and is never the token', () => {
    const proof = identityProof(info.token, 'nonce-aaaaaaaaaaaaaaaa', info);
    expect(proof).toMatch(/^[0-9a-f]{64}$/);
    expect(proof).not.toContain(info.token);
    expect(identityProof(info.token, 'nonce-aaaaaaaaaaaaaaaa', info)).toBe(proof);
    expect(identityProof('another-token-0123456789', 'nonce-aaaaaaaaaaaaaaaa', info)).not.toBe(proof);
    expect(identityProof(info.token, 'nonce-bbbbbbbbbbbbbbbb', info)).not.toBe(proof);
    expect(identityProof(info.token, 'nonce-aaaaaaaaaaaaaaaa', { ...info, pid: 4243 })).not.toBe(proof);
    expect(identityProof(info.token, 'nonce-aaaaaaaaaaaaaaaa', { ...info, startedAt: '2026-11-21T10:00:01.000Z' })).not.toBe(proof);
    expect(isValidNonce('short')).toBe(false);
    expect(isValidNonce('has spaces in it, sixteen+')).toBe(false);
    expect(isValidNonce('A'.repeat(43))).toBe(true);
  });

  test('every problem is bad input (exit 2) saying how to start the edge, never the token', () => {
    const problems = [
      { kind: 'not-loopback', detail: 'x' },
      { kind: 'exited', pid: 4242 },
      { kind: 'no-answer', port: 8787, detail: 'connection refused' },
      { kind: 'impostor', port: 8787, detail: 'it could not prove that it holds the edge token' },
    ] as const;
    for (const problem of problems) {
      const error = edgeProblemError(problem, '/p/.mcp-fleet/local/edge.json');
      expect(error.exitCode).toBe(2);
      expect(`${error.message} ${error.hint}`).toContain('mcp-fleet local start --detach');
      expect(`${error.message} ${error.hint}`).not.toContain(info.token);
    }
  });
});
