import { describe, expect, test } from 'vitest';
import { modesOf, modesValue, needsIdentityStore, parseModes } from '../../src/config/auth-modes.js';

describe('auth modes', () => {
  test('a client without AUTH_MODES has the key alone', () => {
    expect(modesOf(undefined)).toEqual(['key']);
    expect(modesOf('')).toEqual(['key']);
  });
  test('modes come back in canonical order', () => {
    expect(parseModes('jwt,key,oauth')).toEqual(['key', 'oauth', 'jwt']);
    expect(modesValue(['jwt', 'key'])).toBe('key,jwt');
    expect(modesOf('oauth, key')).toEqual(['key', 'oauth']);
  });
  test('an unknown mode is a usage error naming the flag', () => {
    expect(() => parseModes('key,saml')).toThrow(/--auth: unknown auth mode "saml"/);
    expect(() => parseModes('key,,oauth')).toThrow(/--auth needs/);
  });
  test('oauth and jwt need the identity store; the key alone does not', () => {
    expect(needsIdentityStore(['key'])).toBe(false);
    expect(needsIdentityStore(['key', 'jwt'])).toBe(true);
  });
});
