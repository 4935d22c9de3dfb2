import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Fleet } from '../../src/fleet/fleet.js';
import { unsupportedModes } from '../../src/ops/identity/modes.js';
import { issuerProblem, ttlProblem } from '../../src/ops/identity/settings-check.js';
import { codeHash, normalizeEmail } from '../../src/ops/identity/users.js';
import { parseDuration } from '../../src/util/duration.js';
import { isFleetError } from '../../src/util/errors.js';

describe('identity settings a deploy refuses', () => {
  test('an identity provider must be https; plain http only on loopback, for tests and local development', () => {
    expect(issuerProblem('https://login.acme.example')).toBeUndefined();
    expect(issuerProblem('http://127.0.0.1:9000')).toBeUndefined();
    expect(issuerProblem('http://localhost:9000/realms/acme')).toBeUndefined();
    expect(issuerProblem('http://idp.localhost:9000')).toBeUndefined();
    expect(issuerProblem('http://login.acme.example')).toMatch(/not an https URL/);
    // A private address is no loopback: the client secret would cross a network in the clear.
    expect(issuerProblem('http://10.0.0.5')).toMatch(/not an https URL/);
    expect(issuerProblem('login.acme.example')).toMatch(/not a URL/);
    expect(issuerProblem(42)).toMatch(/not a URL/);
  });

  test('token lifetimes are whole seconds within what the worker honours', () => {
    expect(ttlProblem('OAUTH_ACCESS_TTL', '3600')).toBeUndefined();
    expect(ttlProblem('OAUTH_ACCESS_TTL', '30')).toMatch(/from 60 to 86400/);
    expect(ttlProblem('OAUTH_ACCESS_TTL', '1h')).toMatch(/whole number of seconds/);
    expect(ttlProblem('OAUTH_REFRESH_TTL', String(400 * 86_400))).toMatch(/to 31536000/);
  });
});

describe('what people type', () => {
  test('an invitation code compares as people retype it: case, spaces and dashes are not part of it', () => {
    expect(codeHash('ABCDE-FGHJK')).toBe(codeHash('abcde fghjk'));
    expect(codeHash('ABCDE-FGHJK')).not.toBe(codeHash('ABCDE-FGHJM'));
  });

  test('an email is the subject in lower case; anything else is exit 2 naming the argument, without echoing much of it', () => {
    expect(normalizeEmail(' Alice@Acme.Example ')).toBe('alice@acme.example');
    for (const bad of ['alice', 'a@b', 'a b@acme.example', '<script>@acme.example', 'x'.repeat(500)]) {
      try {
        normalizeEmail(bad);
        expect.unreachable(bad);
      } catch (error) {
        expect(isFleetError(error) && error.exitCode).toBe(2);
        expect((error as Error).message.length).toBeLessThan(140);
      }
    }
  });

  test('a --ttl is a whole number and a unit within its range; out of range names the flag', () => {
    const range = { minSeconds: 300, maxSeconds: 365 * 86_400 };
    expect(parseDuration('30d', '--ttl', range)).toBe(30 * 86_400);
    expect(parseDuration('90m', '--ttl', range)).toBe(5400);
    expect(() => parseDuration('1m', '--ttl', range)).toThrow(/--ttl: 1m is out of range/);
    expect(() => parseDuration('1y', '--ttl', range)).toThrow(/--ttl: "1y" is not a duration/);
  });
});

describe('a project whose worker predates modes', () => {
  test('auth says which modes its own worker code cannot honour', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mcp-fleet-modes-'));
    try {
      const fleet = { dir } as Fleet;
      expect(await unsupportedModes(fleet, ['key', 'oauth', 'jwt'])).toEqual(['jwt', 'oauth']);
      await mkdir(join(dir, 'src', 'platform', 'oauth'), { recursive: true });
      await writeFile(join(dir, 'src', 'platform', 'credentials.ts'), '');
      expect(await unsupportedModes(fleet, ['key', 'oauth', 'jwt'])).toEqual(['oauth']);
      await writeFile(join(dir, 'src', 'platform', 'oauth', 'index.ts'), '');
      expect(await unsupportedModes(fleet, ['key', 'oauth', 'jwt'])).toEqual([]);
      expect(await unsupportedModes({ dir: join(dir, 'none') } as Fleet, ['key'])).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
