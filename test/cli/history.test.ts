import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { HistoryJson, RollbackJson, StatusJson, Targeted } from '../../src/ui/json/index.js';
import { liveVersion } from '../helpers/edge-state.js';
import { callsPerScript, closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';

/**
 * What a worker ran and why, through the built binary: after the rotations and rollbacks of a first
 * week, `status` still knows every version mcp-fleet made, `history` tells them apart from two API
 * calls, and `rollback --to` takes the 8 characters the tables print.
 */

let fleet: TestFleet;

beforeAll(async () => {
  fleet = await createTestFleet('history', ['acme']);
  const deployed = await fleet.cli(['deploy', 'acme', '--local']);
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.stderr}`);
  // The demo's loop: a deploy, then a rotation.
  const rotated = await fleet.cli(['secrets', 'rotate', 'acme', '--local']);
  if (rotated.exitCode !== 0) throw new Error(`rotate failed:\n${rotated.stderr}`);
}, 300_000);

afterAll(() => closeTestFleet(fleet));

async function status(): Promise<{ exitCode: number; json: StatusJson; stderr: string }> {
  return fleet.cliJson<StatusJson>(['status', 'acme', '--local']);
}

describe('status knows every version mcp-fleet makes', () => {
  test('secrets rotate acme; rollback acme: status says current, not "deployed by wrangler or by hand"', async () => {
    expect((await fleet.cli(['secrets', 'rotate', 'acme', '--local'])).exitCode).toBe(0);
    const back = await fleet.cliJson<RollbackJson>(['rollback', 'acme', '--local']);
    expect(back.exitCode, back.stderr).toBe(0);
    // Back to the first rotation's version, whose secrets are not today's: its code went up again.
    expect(back.json.clients[0]?.how).toBe('reuploaded');
    const after = await status();
    expect(after.exitCode, after.stderr).toBe(0);
    expect(after.json.clients[0]).toMatchObject({ code: 'current', codeWhy: null, drift: [] });
    expect(after.json.clients[0]?.deployedTag).toBe(after.json.clients[0]?.localTag);

    // A rotation on the rolled-back code uploads that code again: still known.
    expect((await fleet.cli(['secrets', 'rotate', 'acme', '--local'])).exitCode).toBe(0);
    const rotated = await status();
    expect(rotated.exitCode, rotated.stderr).toBe(0);
    expect(rotated.json.clients[0]?.code).toBe('current');
  });
});

describe('history', () => {
  test('every deployment with what made it and the bundle it runs, from 2 API calls; text and --json', async () => {
    const since = await fleet.lastSeq();
    const result = await fleet.cliJson<Targeted<HistoryJson>>(['history', 'acme', '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(callsPerScript(await fleet.requests(since))).toEqual(new Map([['acme', 2]]));
    const entry = result.json.clients[0];
    expect(entry?.exists).toBe(true);
    // Newest first: the rotation on rolled-back code, the rollback, two rotations, the deploy.
    expect(entry?.events.map((event) => event.kind)).toEqual(['rotation', 'rollback', 'rotation', 'rotation', 'deploy']);
    expect(entry?.events.map((event) => event.live)).toEqual([true, false, false, false, false]);
    const local = (await status()).json.clients[0]?.localTag;
    for (const event of entry?.events ?? []) {
      expect(event.versions).toHaveLength(1);
      expect(event.versions[0]).toMatchObject({ percentage: 100, bundleTag: local });
      expect(event.versions[0]?.shortId).toBe(event.versions[0]?.versionId.slice(0, 8));
    }
    expect(entry?.events[0]?.versions[0]?.versionId).toBe(await liveVersion(fleet, 'acme'));
    expect(result.json.target).toMatchObject({ kind: 'local', chosenBy: 'flag', apiBaseUrl: fleet.edge.info.apiBaseUrl });

    const text = await fleet.cli(['history', 'acme', '--local']);
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^\s+WHEN\s+VERSIONS\s+WHAT\s+BUNDLE$/m);
    const deploy = entry?.events.at(-1)?.versions[0];
    expect(text.stdout).toMatch(new RegExp(`^\\s+\\d+ (s|min) ago\\s+${deploy?.shortId} 100%\\s+deploy\\s+${local}$`, 'm'));
    expect(text.stdout).toMatch(/rollback to [0-9a-f]{8}, its code uploaded again with the current secrets/);
    expect(text.stderr).toMatch(/^target: the local edge on 127\.0\.0\.1:\d+ \(--local\)$/m);
  });

  test('rollback --to takes the 8 characters the tables print; one that names no version is exit 2', async () => {
    const history = await fleet.cliJson<HistoryJson>(['history', 'acme', '--local']);
    const deploy = history.json.clients[0]?.events.at(-1)?.versions[0];
    const back = await fleet.cliJson<RollbackJson>(['rollback', 'acme', '--local', '--to', deploy?.shortId as string]);
    expect(back.exitCode, back.stderr).toBe(0);
    expect(back.json.clients[0]?.targetVersionId).toBe(deploy?.versionId);
    expect((await status()).json.clients[0]?.code).toBe('current');

    const ids = history.json.clients[0]?.versions.map((version) => version.versionId) ?? [];
    const unknown = ['ffffffff', 'eeeeeeee', 'dddddddd'].find((prefix) => !ids.some((id) => id.startsWith(prefix))) as string;
    const missing = await fleet.cli(['rollback', 'acme', '--local', '--to', unknown]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stdout + missing.stderr).toContain(`--to ${unknown}: no version of worker acme starts with it`);
    expect(missing.stdout + missing.stderr).toMatch(/see the versions with: (node )?\S*mcp-fleet(\.js)? history acme --local$/m);
  });
});

describe('status while it builds', () => {
  test('says on stderr that it bundles and what came of it; stdout under --json is the document alone', async () => {
    const result = await status();
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^… local build\s+bundling the worker as deploy does/m);
    expect(result.stderr).toMatch(/^✔ local build\s+bundle-[0-9a-f]{16} (reused from the build cache|built in [\d.]+ s)$/m);
    expect(result.stderr).toMatch(/^✔ acme\s+current$/m);
  });
});
