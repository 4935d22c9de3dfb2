import { stripVTControlCharacters as plain } from 'node:util';
import { describe, expect, test } from 'vitest';
import { CloudflareApiError } from '../../src/cloudflare/api.js';
import { summaryOf, type VersionSummary } from '../../src/cloudflare/version-reads.js';
import type { Deployment } from '../../src/cloudflare/workers-api.js';
import { clientFromEnv } from '../../src/fleet/fleet.js';
import { bundleAnnotations } from '../../src/ops/deploy/rollout/bundles.js';
import type { ClientSettings } from '../../src/ops/deploy/rollout/client-settings.js';
import { statusExitCode } from '../../src/ops/fleet/client-failure.js';
import { applyRemote, emptyStatus, settleDrift } from '../../src/ops/status/client-status.js';
import { capacityOf, codeVerdict, driftOf, expectedTag } from '../../src/ops/status/drift.js';
import { readRemoteState, type StatusReads } from '../../src/ops/status/remote.js';
import { ageOf, capacityLine } from '../../src/ui/status-report.js';

const HASH = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
/** What a deploy of a bundle with this hash writes on its version (bundles.ts). */
const shipped = (hash: string) => bundleAnnotations({ hash, mainModule: 'index.js', modules: [] }, '0.1.0');

function deployment(id: string, versions: [string, number][], triggeredBy: string): Deployment {
  return {
    id,
    created_on: '2026-11-21T11:00:00Z',
    versions: versions.map(([version_id, percentage]) => ({ version_id, percentage })),
    annotations: { 'workers/triggered_by': triggeredBy },
  };
}

function version(id: string, annotations: Record<string, string>, compatibilityDate = '2026-11-01'): VersionSummary {
  return { id, number: 1, createdOn: undefined, annotations, compatibilityDate, compatibilityFlags: [] };
}

describe('which code runs', () => {
  test('the tag a deploy writes is the one status expects of the local build', () => {
    expect(expectedTag({ hash: HASH })).toBe(shipped(HASH)['workers/tag']);
    expect(expectedTag({ hash: HASH })).toBe(`bundle-${'a'.repeat(16)}`);
  });

  test('current, behind, or unknown (no bundle tag, or nothing local to compare with)', () => {
    expect(codeVerdict(shipped(HASH), HASH)).toEqual({ state: 'current' });
    expect(codeVerdict(shipped(OTHER), HASH)).toEqual({
      state: 'behind',
      why: `runs bundle-${'b'.repeat(16)}; the local build is bundle-${'a'.repeat(16)}`,
    });
    // A rollback re-upload keeps the tag and says something else in its message.
    expect(
      codeVerdict({ 'workers/message': 'mcp-fleet rollback to x', 'workers/tag': shipped(HASH)['workers/tag'] as string }, HASH).state,
    ).toBe('current');
    expect(codeVerdict({ 'workers/triggered_by': 'upload' }, HASH).state).toBe('unknown');
    expect(codeVerdict({ 'workers/tag': 'v1.2' }, HASH).state).toBe('unknown');
    expect(codeVerdict(shipped(HASH), undefined, 'the local build failed: boom')).toEqual({
      state: 'unknown',
      why: 'the local build failed: boom',
    });
  });
});

function reads(deployments: Deployment[] | Error, versions: Record<string, VersionSummary>) {
  const calls: string[] = [];
  const api: StatusReads = {
    workers: {
      listScripts: async () => new Map(),
      listDeployments: async (worker) => {
        calls.push(`deployments ${worker}`);
        if (deployments instanceof Error) throw deployments;
        return deployments;
      },
    },
    versions: {
      getVersion: async (worker, id) => {
        calls.push(`version ${worker} ${id}`);
        return versions[id] as VersionSummary;
      },
    },
  };
  return { api, calls };
}

const settings = { compatibilityDate: '2026-11-01' } as ClientSettings;
const acme = clientFromEnv('/project', 'acme', { name: 'acme' });

describe('one client, from what was read', () => {
  test('after a secret change: two calls, the live version from the secret deployment, the code from the one before', async () => {
    const { api, calls } = reads([deployment('d2', [['v2', 100]], 'secret'), deployment('d1', [['v1', 100]], 'upload')], {
      v1: version('v1', shipped(HASH)),
    });
    const remote = await readRemoteState(api, 'acme');
    expect(calls).toEqual(['deployments acme', 'version acme v1']);
    const result = emptyStatus(acme, settings);
    applyRemote(result, remote, { hash: HASH, why: undefined });
    result.secrets.inSync = true;
    settleDrift(result);
    expect(result).toMatchObject({ exists: true, versionId: 'v2', deployedBy: 'secret', code: 'current', drift: [], inSync: true });
    expect(result.traffic).toEqual([{ versionId: 'v2', percentage: 100, code: 'current', tag: shipped(HASH)['workers/tag'] }]);
  });

  test('secret changes are stepped over: by the deployment when it says so, else by the version (one call each)', async () => {
    const marked = reads(
      [deployment('d3', [['v3', 100]], 'secret'), deployment('d2', [['v2', 100]], 'secret'), deployment('d1', [['v1', 100]], 'deployment')],
      { v1: version('v1', shipped(HASH)) },
    );
    expect((await readRemoteState(marked.api, 'acme')).codeVersions.map((v) => v.id)).toEqual(['v1']);
    expect(marked.calls).toEqual(['deployments acme', 'version acme v1']);

    const secret = { 'workers/triggered_by': 'secret' };
    const unmarked = reads([deployment('d2', [['v2', 100]], ''), deployment('d1', [['v1', 100]], '')], {
      v2: version('v2', secret),
      v1: version('v1', shipped(HASH)),
    });
    expect((await readRemoteState(unmarked.api, 'acme')).codeVersions.map((v) => v.id)).toEqual(['v1']);
    expect(unmarked.calls).toEqual(['deployments acme', 'version acme v2', 'version acme v1']);

    const onlySecrets = reads([deployment('d2', [['v2', 100]], 'secret')], {});
    expect(await readRemoteState(onlySecrets.api, 'acme')).toMatchObject({
      exists: true,
      codeVersions: [],
      codeUnknown: expect.stringMatching(/all secret changes/),
    });
  });

  test('a secret-change version deployed again by a rollback runs the code from before its first deployment, not the newer code', async () => {
    const secret = { 'workers/triggered_by': 'secret' };
    const { api, calls } = reads(
      [
        deployment('d4', [['s1', 100]], 'deployment'),
        deployment('d3', [['v2', 100]], 'upload'),
        deployment('d2', [['s1', 100]], 'secret'),
        deployment('d1', [['v1', 100]], 'upload'),
      ],
      { s1: version('s1', secret), v2: version('v2', shipped(OTHER)), v1: version('v1', shipped(HASH)) },
    );
    expect((await readRemoteState(api, 'acme')).codeVersions.map((v) => v.id)).toEqual(['v1']);
    expect(calls).toEqual(['deployments acme', 'version acme s1', 'version acme v1']);
  });

  test('a traffic split: one call per version, each version judged, the split is drift', async () => {
    const { api, calls } = reads(
      [
        deployment(
          'd',
          [
            ['old', 10],
            ['new', 90],
          ],
          'deployment',
        ),
      ],
      {
        new: version('new', shipped(HASH)),
        old: version('old', shipped(OTHER), '2026-01-01'),
      },
    );
    const remote = await readRemoteState(api, 'acme');
    expect(calls).toEqual(['deployments acme', 'version acme new', 'version acme old']);
    const result = emptyStatus(acme, settings);
    applyRemote(result, remote, { hash: HASH, why: undefined });
    result.secrets.inSync = true;
    settleDrift(result);
    expect(result.traffic.map((share) => [share.versionId, share.percentage, share.code])).toEqual([
      ['new', 90, 'current'],
      ['old', 10, 'behind'],
    ]);
    expect(result).toMatchObject({ versionId: 'new', code: 'current', drift: ['traffic split'], inSync: false });
    expect(result.compatibilityDate).toEqual({ deployed: '2026-11-01', config: '2026-11-01', matches: true });
  });

  test('a worker deleted since the account was listed reads as absent', async () => {
    const gone = new CloudflareApiError('listing: Cloudflare answered 404', { codes: [10007], status: 404, applied: 'no' });
    const { api } = reads(gone, {});
    expect(await readRemoteState(api, 'acme')).toEqual({ exists: false, live: undefined, codeVersions: [] });
    const other = new CloudflareApiError('listing: Cloudflare answered 500', { codes: [], status: 500, applied: 'unknown' });
    await expect(readRemoteState(reads(other, {}).api, 'acme')).rejects.toBe(other);
  });

  test('a compatibility date other than the config is drift', () => {
    const result = emptyStatus(acme, settings);
    applyRemote(
      result,
      { exists: true, live: deployment('d', [['v', 100]], 'upload'), codeVersions: [version('v', shipped(HASH), '2025-01-01')] },
      { hash: HASH, why: undefined },
    );
    result.secrets.inSync = true;
    settleDrift(result);
    expect(result.compatibilityDate).toEqual({ deployed: '2025-01-01', config: '2026-11-01', matches: false });
    expect(result.drift).toEqual(['compatibility date']);
  });
});

describe('drift, exit code, capacity', () => {
  const base = {
    exists: true,
    code: 'current' as const,
    split: false,
    secretsInSync: true,
    compatibilityMatches: true,
    verifyOk: undefined,
  };

  test('each difference is named; a missing worker is the only one said', () => {
    expect(driftOf(base)).toEqual([]);
    expect(driftOf({ ...base, exists: false, code: 'behind' })).toEqual(['no worker']);
    expect(driftOf({ ...base, code: 'unknown', split: true, secretsInSync: false, compatibilityMatches: false, verifyOk: false })).toEqual([
      'code unknown',
      'traffic split',
      'secrets differ',
      'compatibility date',
      'verify failed',
    ]);
  });

  test('exit 0 only when every client matches; a failed read decides as any fleet failure', () => {
    expect(statusExitCode([{ inSync: true }, { inSync: true }])).toBe(0);
    expect(statusExitCode([{ inSync: true }, { inSync: false }])).toBe(1);
    expect(statusExitCode([{ inSync: false, error: { message: 'bad file', exitCode: 2 } }])).toBe(2);
    expect(statusExitCode([{ inSync: true }, { inSync: false, error: { message: 'api', exitCode: 1 } }])).toBe(1);
  });

  test('capacity warns from 80% of the limit', () => {
    expect(capacityOf(399, 500, 0.8)).toEqual({ workers: 399, limit: 500, share: 0.798, warning: false });
    expect(capacityOf(400, 500, 0.8).warning).toBe(true);
    expect(plain(capacityLine(capacityOf(12, 500, 0.8)))).toBe('Workers in the account: 12 of 500 (2%)');
    expect(plain(capacityLine(capacityOf(450, 500, 0.8)))).toMatch(
      /^! Workers in the account: 450 of 500 \(90%\): Cloudflare refuses new workers/,
    );
  });

  test('ages and version summaries read defensively', () => {
    const now = Date.parse('2026-11-21T12:00:00Z');
    expect(ageOf('2026-11-21T11:59:50Z', now)).toBe('10 s ago');
    expect(ageOf('2026-11-21T11:57:00Z', now)).toBe('3 min ago');
    expect(ageOf('2026-11-21T07:00:00Z', now)).toBe('5 h ago');
    expect(ageOf('2026-11-19T12:00:00Z', now)).toBe('2 d ago');
    expect(ageOf(undefined, now)).toBe('-');
    expect(summaryOf({}, 'v1')).toEqual({
      id: 'v1',
      number: undefined,
      createdOn: undefined,
      annotations: {},
      compatibilityDate: undefined,
      compatibilityFlags: [],
    });
    expect(
      summaryOf(
        {
          id: 'v2',
          number: 3,
          annotations: { 'workers/tag': 't', bogus: 1 } as unknown as Record<string, unknown>,
          resources: { script_runtime: { compatibility_date: '2026-11-01', compatibility_flags: ['x'] } },
        },
        'v2',
      ),
    ).toMatchObject({ number: 3, annotations: { 'workers/tag': 't' }, compatibilityDate: '2026-11-01', compatibilityFlags: ['x'] });
  });
});

describe('vars drift', () => {
  test('a text var set, changed or removed since the last deploy is drift, by name; object vars and AUTH_MODES are not compared here', async () => {
    const { differingVars } = await import('../../src/ops/status/client-status.js');
    const config = {
      CLIENT_ID: 'acme',
      RATE_LIMIT: '50/10',
      NESTED: { a: 1 },
      AUTH_MODES: 'key,oauth',
      UPSTREAM_URL: 'https://up.example',
    };
    const deployed = { CLIENT_ID: 'acme', RATE_LIMIT: '100/60', AUTH_MODES: 'key', OLD: 'x' };
    expect(differingVars(config, deployed)).toEqual(['OLD', 'RATE_LIMIT', 'UPSTREAM_URL']);
    expect(differingVars({ CLIENT_ID: 'acme' }, { CLIENT_ID: 'acme' })).toEqual([]);
  });
});
