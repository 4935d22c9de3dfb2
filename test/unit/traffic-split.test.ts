import { describe, expect, test } from 'vitest';
import { overrideFor, TrafficSplitter } from '../../src/local/runtime/traffic-split.js';

/** How the edge picks the version of a split deployment for each request: by a fixed sequence, a version key, or an override. */

const shares = [
  { instance: 'acme__split', versionId: 'new-version', percentage: 10 },
  { instance: 'acme', versionId: 'old-version', percentage: 90 },
];

describe('the traffic split', () => {
  test('the sequence gives each version its share over any run of requests, the same every time', () => {
    const splitter = new TrafficSplitter();
    const picks = Array.from({ length: 1000 }, () => splitter.choose('acme', shares, {}));
    expect(picks.filter((p) => p === 'acme__split')).toHaveLength(100);
    // Every run of 100 is within one request of its share.
    for (let start = 0; start < 1000; start += 100) {
      const run = picks.slice(start, start + 100).filter((p) => p === 'acme__split').length;
      expect(run).toBeGreaterThanOrEqual(9);
      expect(run).toBeLessThanOrEqual(11);
    }
    expect(Array.from({ length: 1000 }, () => new TrafficSplitter()).map((s) => s.choose('acme', shares, {}))).toEqual(
      Array.from({ length: 1000 }, () => picks[0]),
    );
  });

  test('a new deployment starts its sequence again', () => {
    const splitter = new TrafficSplitter();
    const first = Array.from({ length: 7 }, () => splitter.choose('acme', shares, {}));
    const half = shares.map((share) => ({ ...share, percentage: 50 }));
    splitter.choose('acme', half, {});
    expect(Array.from({ length: 7 }, () => splitter.choose('acme', shares, {}))).toEqual(first);
  });

  test('a version key always lands on the same version; an override wins over both', () => {
    const splitter = new TrafficSplitter();
    const key = { 'cloudflare-workers-version-key': 'user-42' };
    const picked = splitter.choose('acme', shares, key);
    for (let i = 0; i < 20; i++) expect(splitter.choose('acme', shares, key)).toBe(picked);
    const override = { 'cloudflare-workers-version-overrides': 'acme="new-version"' };
    for (let i = 0; i < 20; i++) expect(splitter.choose('acme', shares, { ...key, ...override })).toBe('acme__split');
  });

  test('one version takes everything', () => {
    expect(new TrafficSplitter().choose('acme', [{ instance: 'acme', versionId: 'v', percentage: 100 }], {})).toBe('acme');
  });
});

describe('Cloudflare-Workers-Version-Overrides', () => {
  test.each([
    ['acme="v1"', 'v1'],
    ['other="v0", acme="v1"', 'v1'],
    ['  acme = "v1" ;param', 'v1'],
    ['acme=v1', undefined], // a token, not a String
    ['other="v1"', undefined],
    ['', undefined],
  ])('%j names %j for acme', (header, expected) => {
    expect(overrideFor('acme', header)).toBe(expected);
  });
});
