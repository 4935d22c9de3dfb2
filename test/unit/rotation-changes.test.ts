import { describe, expect, it } from 'vitest';
import { rotationChanges } from '../../src/ops/secrets-rotate.js';

describe('what a rotation sets', () => {
  const none = new Map<string, string>();
  it('replaces API_KEY alone when there is no grace period and no previous key', () => {
    expect(rotationChanges('API_KEY', 'new', 'old', false, none)).toEqual(new Map([['API_KEY', 'new']]));
  });
  it('keeps the old key as API_KEY_PREVIOUS with --grace', () => {
    expect(rotationChanges('API_KEY', 'new', 'old', true, none)).toEqual(
      new Map([
        ['API_KEY', 'new'],
        ['API_KEY_PREVIOUS', 'old'],
      ]),
    );
  });
  it('ends an earlier grace period when rotating without one', () => {
    const current = new Map([['API_KEY_PREVIOUS', 'older']]);
    expect(rotationChanges('API_KEY', 'new', 'old', false, current)).toEqual(
      new Map([
        ['API_KEY', 'new'],
        ['API_KEY_PREVIOUS', null],
      ]),
    );
  });
  it('touches no second slot for other keys', () => {
    expect(rotationChanges('UPSTREAM_TOKEN', 'new', 'old', false, new Map([['API_KEY_PREVIOUS', 'x']]))).toEqual(
      new Map([['UPSTREAM_TOKEN', 'new']]),
    );
  });
});
