import { describe, expect, test } from 'vitest';
import type { VersionSummary } from '../../src/cloudflare/version-reads.js';
import type { Deployment } from '../../src/cloudflare/workers-api.js';
import { matchVersionPrefix } from '../../src/ops/deploy/version-id.js';
import { historyEvents } from '../../src/ops/history/events.js';

/** What `history` makes of a worker's deployments and versions, and how `rollback --to` reads a short id. */

const TAG = 'bundle-0123456789abcdef';
const HASH = `0123456789abcdef${'0'.repeat(48)}`;
const id = (n: number) => `${String(n).repeat(8)}-0000-4000-8000-000000000000`;
const at = (second: number) => new Date(Date.UTC(2026, 10, 1, 12, 0, second)).toISOString();

function version(n: number, annotations: Record<string, string>): VersionSummary {
  return { id: id(n), number: n, createdOn: at(n * 10), annotations, compatibilityDate: '2026-11-01', compatibilityFlags: [] };
}

function deployment(n: number, versions: [number, number][], annotations: Record<string, string> = {}): Deployment {
  return {
    id: `d${n}`,
    created_on: at(n * 10 + 1),
    versions: versions.map(([v, percentage]) => ({ version_id: id(v), percentage })),
    annotations,
  };
}

describe('history events', () => {
  test('deploy, rotation, rollback with a re-upload, secrets on rolled-back code: each named, each with the bundle it runs', () => {
    const versions = [
      version(5, { 'workers/tag': TAG, 'workers/message': `mcp-fleet secrets rotate API_KEY on ${id(4)}` }),
      version(4, { 'workers/tag': TAG, 'workers/message': `mcp-fleet rollback to ${id(1)}: mcp-fleet rollback` }),
      version(3, { 'workers/triggered_by': 'secret' }),
      version(2, { 'workers/triggered_by': 'secret' }),
      version(1, { 'workers/tag': TAG, 'workers/message': `mcp-fleet 0.1.0 bundle sha256:${HASH}` }),
    ];
    const deployments = [
      deployment(5, [[5, 100]], { 'workers/message': `mcp-fleet secrets rotate API_KEY on ${id(4)}` }),
      deployment(4, [[4, 100]], { 'workers/message': `mcp-fleet rollback to ${id(1)}: mcp-fleet rollback` }),
      deployment(3, [[3, 100]], { 'workers/triggered_by': 'secret' }),
      deployment(2, [[2, 100]], { 'workers/triggered_by': 'secret' }),
      deployment(1, [[1, 100]]),
    ];
    // The project's backups say a rotation started just before version 3 (not before version 2).
    const events = historyEvents({ deployments, versions, rotations: [Date.parse(at(30)) - 500] });
    expect(events.map((event) => [event.kind, event.live])).toEqual([
      ['rotation', true],
      ['rollback', false],
      ['rotation', false],
      ['secrets-change', false],
      ['deploy', false],
    ]);
    expect(events[1]?.what).toBe('rollback to 11111111, its code uploaded again with the current secrets');
    expect(events.every((event) => event.versions[0]?.bundleTag === TAG)).toBe(true);
    expect(events[0]?.versions).toEqual([{ versionId: id(5), percentage: 100, number: 5, bundleTag: TAG }]);
  });

  test('a gradual deployment shows both shares; a version never deployed is an upload; a redeploy is one', () => {
    const versions = [
      version(3, { 'workers/message': 'by hand' }),
      version(2, { 'workers/tag': TAG, 'workers/message': `mcp-fleet 0.1.0 bundle sha256:${HASH}` }),
      version(1, { 'workers/tag': TAG, 'workers/message': `mcp-fleet 0.1.0 bundle sha256:${HASH}` }),
    ];
    const deployments = [
      deployment(4, [[1, 100]], { 'workers/message': 'wrangler rollback' }),
      deployment(2, [
        [1, 90],
        [2, 10],
      ]),
      deployment(1, [[1, 100]]),
    ];
    const events = historyEvents({ deployments, versions, rotations: [] });
    expect(events.map((event) => event.kind)).toEqual(['redeploy', 'upload', 'deploy', 'deploy']);
    expect(events[2]?.what).toBe('deploy, gradual');
    expect(events[2]?.versions.map((share) => share.percentage)).toEqual([90, 10]);
    expect(events[1]?.versions[0]?.percentage).toBeUndefined();
  });
});

describe('rollback --to', () => {
  const ids = ['76e4be1e-52c7-609e-d3ef-bf79c60638fe', '76e4ff00-0000-4000-8000-000000000000', '045ae1c1-0000-4000-8000-000000000000'];
  test('a unique prefix names its version; several or none are bad input naming what there is', () => {
    expect(matchVersionPrefix('acme', 'acme', '76E4BE1E', ids)).toBe(ids[0]);
    expect(matchVersionPrefix('acme', 'acme', '045a', ids)).toBe(ids[2]);
    expect(() => matchVersionPrefix('acme', 'acme', '76e4', ids)).toThrow(
      `--to 76e4 names 2 versions of worker acme: ${ids[0]}, ${ids[1]}`,
    );
    try {
      matchVersionPrefix('acme', 'acme', 'ffffffff', ids);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ exitCode: 2, message: expect.stringContaining('no version of worker acme starts with it') });
      expect((error as { hint: string }).hint).toMatch(/mcp-fleet history acme$/);
    }
  });
});
