import { describe, expect, test } from 'vitest';
import { closestWords, didYouMean, editDistance } from '../../src/util/suggest.js';

describe('did you mean', () => {
  test('edit distance counts insertions, deletions and substitutions', () => {
    expect(editDistance('acme', 'acme')).toBe(0);
    expect(editDistance('acm', 'acme')).toBe(1);
    expect(editDistance('gama', 'gamma')).toBe(1);
    expect(editDistance('glbex', 'globex')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  test('a typo finds the nearest names; a far word finds none', () => {
    const clients = ['acme', 'acne', 'globex', 'initech'];
    expect(closestWords('acm', clients)).toEqual(['acme']);
    expect(closestWords('acxe', clients)).toEqual(['acme', 'acne']);
    expect(closestWords('globx', clients)).toEqual(['globex']);
    expect(closestWords('inittech', clients)).toEqual(['initech']);
    expect(closestWords('zzz', clients)).toEqual([]);
    expect(closestWords('x', ['y'])).toEqual(['y']);
    expect(didYouMean('acxe', clients)).toBe('Did you mean acme or acne? ');
    expect(didYouMean('zzz', clients)).toBe('');
  });
});
