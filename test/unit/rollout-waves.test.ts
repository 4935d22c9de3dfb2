import { describe, expect, it } from 'vitest';
import { DEFAULT_WAVES, parseCanary, parseWaves, planWaves } from '../../src/ops/deploy/rollout/waves.js';

const names = (n: number) => Array.from({ length: n }, (_, i) => `c${i + 1}`);
const sizes = (n: number, waves = DEFAULT_WAVES, canary?: string[]) =>
  planWaves(names(n), (name) => name, parseWaves(waves), canary).map((wave) => wave.length);

describe('rollout waves', () => {
  it('default: a canary of one, then a tenth, half and the rest (cumulative)', () => {
    expect(sizes(20)).toEqual([1, 1, 8, 10]);
    expect(sizes(200)).toEqual([1, 19, 80, 100]);
    // Steps that add nobody are skipped.
    expect(sizes(3)).toEqual([1, 1, 1]);
    expect(sizes(1)).toEqual([1]);
    expect(sizes(0)).toEqual([]);
  });

  it('every client lands in exactly one wave, in order, and the last wave takes the rest', () => {
    const waves = planWaves(names(7), (n) => n, parseWaves('2,3'));
    expect(waves).toEqual([['c1', 'c2'], ['c3'], ['c4', 'c5', 'c6', 'c7']]);
  });

  it('--canary names the first wave; the remaining steps size the others', () => {
    const waves = planWaves(names(20), (n) => n, parseWaves(DEFAULT_WAVES), ['c5', 'c9']);
    expect(waves[0]).toEqual(['c5', 'c9']);
    expect(waves.map((wave) => wave.length)).toEqual([2, 8, 10]);
    expect(waves.flat().toSorted()).toEqual(names(20).toSorted());
  });

  it('refuses bad steps and unknown canaries as usage errors', () => {
    for (const bad of ['', '0', '1,,2', '150%', '0%', 'ten', '-1']) expect(() => parseWaves(bad), bad).toThrow(/--waves/);
    expect(() => parseCanary('nobody', ['acme'])).toThrow(/not among/);
    expect(parseCanary('acme, beta,acme', ['acme', 'beta'])).toEqual(['acme', 'beta']);
  });
});
