import { describe, expect, it } from 'vitest';
import { withoutUnnamedPreviousKey } from '../../src/ops/secrets/push.js';
import { rotationChanges, workerChanges } from '../../src/ops/secrets/rotate.js';
import { isGeneratedKey } from '../../src/ops/secrets/rotation/value.js';

describe('what a rotation sets', () => {
  it('replaces API_KEY and clears the previous slot when there is no grace period', () => {
    expect(rotationChanges('API_KEY', 'new', 'old', false)).toEqual(
      new Map([
        ['API_KEY', 'new'],
        ['API_KEY_PREVIOUS', null],
      ]),
    );
  });
  it('keeps the old key as API_KEY_PREVIOUS with --grace', () => {
    expect(rotationChanges('API_KEY', 'new', 'old', true)).toEqual(
      new Map([
        ['API_KEY', 'new'],
        ['API_KEY_PREVIOUS', 'old'],
      ]),
    );
  });
  it('removes a previous key the file does not name (a remote-only API_KEY_PREVIOUS dies with the rotation)', () => {
    // The file holds no API_KEY_PREVIOUS, but the worker may: the delete is sent regardless.
    expect(rotationChanges('API_KEY', 'new', 'old', false).get('API_KEY_PREVIOUS')).toBeNull();
  });
  it('--grace without an old key leaves no previous slot either', () => {
    expect(rotationChanges('API_KEY', 'new', undefined, true).get('API_KEY_PREVIOUS')).toBeNull();
  });
  it('touches no second slot for other keys', () => {
    expect(rotationChanges('UPSTREAM_TOKEN', 'new', 'old', false)).toEqual(new Map([['UPSTREAM_TOKEN', 'new']]));
  });
  it('the upstream signing key is generated, and --grace keeps the old one for a second signature; the worker gets both', () => {
    expect(isGeneratedKey('UPSTREAM_SIGNING_KEY')).toBe(true);
    const graced = rotationChanges('UPSTREAM_SIGNING_KEY', 'new', 'old', true);
    expect(graced).toEqual(
      new Map([
        ['UPSTREAM_SIGNING_KEY', 'new'],
        ['UPSTREAM_SIGNING_KEY_PREVIOUS', 'old'],
      ]),
    );
    // A shared secret: unlike the JWT signing key, the worker needs the key itself to sign with.
    expect(workerChanges(graced)).toEqual(graced);
    expect(rotationChanges('UPSTREAM_SIGNING_KEY', 'new', 'old', false).get('UPSTREAM_SIGNING_KEY_PREVIOUS')).toBeNull();
  });
  it('a push deletes the previous keys the file does not name, and keeps those it does', () => {
    const pushed = withoutUnnamedPreviousKey(new Map([['UPSTREAM_SIGNING_KEY', 'new']]));
    expect(pushed).toEqual(
      new Map([
        ['UPSTREAM_SIGNING_KEY', 'new'],
        ['API_KEY_PREVIOUS', null],
        ['UPSTREAM_SIGNING_KEY_PREVIOUS', null],
      ]),
    );
    expect(withoutUnnamedPreviousKey(new Map([['UPSTREAM_SIGNING_KEY_PREVIOUS', 'old']])).get('UPSTREAM_SIGNING_KEY_PREVIOUS')).toBe('old');
  });
});
