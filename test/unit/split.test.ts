import { describe, expect, test } from 'vitest';
import type { Deployment } from '../../src/cloudflare/workers-api.js';
import { liveSplit, parsePercent, splitVersions } from '../../src/ops/deploy/split/split.js';

/** How a dark launch reads a gradual deployment back: which version is new, and what --percent takes. */

const deployment = (id: string, ...versions: [string, number][]): Deployment => ({
  id,
  created_on: '2026-12-04T00:00:00Z',
  versions: versions.map(([version_id, percentage]) => ({ version_id, percentage })),
});

describe('liveSplit', () => {
  test('the newer version is the one no earlier deployment ran alone, whatever its share or place', () => {
    const earlier = deployment('d1', ['old', 100]);
    expect(liveSplit([deployment('d2', ['old', 10], ['new', 90]), earlier])).toEqual({
      newer: { version_id: 'new', percentage: 90 },
      older: { version_id: 'old', percentage: 10 },
    });
    expect(liveSplit([deployment('d2', ['new', 60], ['old', 40]), earlier])?.newer.version_id).toBe('new');
  });

  test('without history, the smaller share is the newer; one version is no split', () => {
    expect(liveSplit([deployment('d', ['a', 70], ['b', 30])])?.newer.version_id).toBe('b');
    expect(liveSplit([deployment('d', ['a', 100])])).toBeUndefined();
    expect(liveSplit([])).toBeUndefined();
  });
});

describe('--percent', () => {
  test('takes whole numbers 1..99 (a trailing % too) and nothing else', () => {
    expect(parsePercent('10')).toBe(10);
    expect(parsePercent('1')).toBe(1);
    expect(parsePercent('99%')).toBe(99);
    for (const bad of ['0', '100', 'abc', '', '-5', '10.5', '1e1']) expect(parsePercent(bad), bad).toBeUndefined();
  });

  test('the split sums to 100, the newer version first', () => {
    expect(splitVersions('n', 'o', 10)).toEqual([
      { version_id: 'n', percentage: 10 },
      { version_id: 'o', percentage: 90 },
    ]);
  });
});
