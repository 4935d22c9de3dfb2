import { lstat, mkdir, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import type { RemoveJson } from '../../src/ui/json/index.js';
import { closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';

/**
 * A `.secrets.<client>` that is a symbolic link (into a synced folder, another checkout) when the
 * client is offboarded. Before, `remove` moved the link into .mcp-fleet/removed/: the "kept copy"
 * pointed at a file that could change or vanish, and restoring it brought the link back. Now the
 * content is kept (a regular file, 0600), the link goes, and the file it pointed to is read, never
 * written, moved or chmod'ed; restore never writes through a link either.
 */

let fleet: TestFleet;
/** Beside the project: where the links point. */
let outside: string;

beforeAll(async () => {
  fleet = await createTestFleet('linked-secrets', ['linked', 'dangle', 'guarded']);
  outside = join(dirname(fleet.dir), 'outside');
  await mkdir(outside);
}, 300_000);

afterAll(() => closeTestFleet(fleet));

const secretsPath = (client: string) => join(fleet.dir, `.secrets.${client}`);
const removedDir = () => join(fleet.dir, '.mcp-fleet', 'removed');

/** Moves a client's secrets file beside the project and leaves a link to it in its place; returns where it went. */
async function linkOut(client: string, mode = 0o600): Promise<string> {
  const target = join(outside, `${client}.secrets`);
  await writeFile(target, await readFile(secretsPath(client)), { mode });
  await rm(secretsPath(client));
  await symlink(target, secretsPath(client));
  return target;
}

async function fileState(path: string): Promise<{ bytes: Buffer; mode: number }> {
  return { bytes: await readFile(path), mode: (await stat(path)).mode & 0o777 };
}

describe('remove of a symlinked secrets file keeps the content, not the link', () => {
  test('the kept copy is a regular 0600 file with the bytes; the link goes; the file it pointed to is left as it was', async () => {
    const target = await linkOut('linked', 0o640);
    const original = await fileState(target);
    const removed = await fleet.cliJson<RemoveJson>(['remove', 'linked', '--delete-worker', '--local', '--yes']);
    expect(removed.exitCode, removed.stderr).toBe(0);
    const kept = removed.json.secretsKeptAt as string;
    expect((await lstat(kept)).isFile()).toBe(true);
    expect(await fileState(kept)).toEqual({ bytes: original.bytes, mode: 0o600 });
    expect(removed.json.secretsLinkedTo).toBe(target);
    expect(removed.stderr).toContain(`was a link to ${target}: its content was kept and the link removed`);
    expect(await lstat(secretsPath('linked')).catch(() => undefined)).toBeUndefined();
    expect(await fileState(target)).toEqual(original);

    // The target changing (or vanishing) later does not touch what was kept.
    await rm(target);
    const restored = await fleet.cli(['restore', 'linked']);
    expect(restored.exitCode, restored.stderr).toBe(0);
    expect((await lstat(secretsPath('linked'))).isSymbolicLink()).toBe(false);
    expect(await fileState(secretsPath('linked'))).toEqual({ bytes: original.bytes, mode: 0o600 });
  });

  test('a dangling link is exit 2 naming it and where it points; nothing changes', async () => {
    const target = await linkOut('dangle');
    await rm(target);
    const config = await readFile(join(fleet.dir, 'wrangler.jsonc'), 'utf8');
    const result = await fleet.cli(['remove', 'dangle', '--keep-worker', '--yes']);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toContain(`${secretsPath('dangle')} is a symbolic link to ${target}, which does not exist`);
    expect(await readFile(join(fleet.dir, 'wrangler.jsonc'), 'utf8')).toBe(config);
    expect(await readlink(secretsPath('dangle'))).toBe(target);
    expect((await readdir(removedDir()).catch(() => [])).filter((name) => name.startsWith('dangle.'))).toEqual([]);
  });

  test('restore writes nothing through a link in the secrets file’s place', async () => {
    const before = await readFile(secretsPath('guarded'));
    expect((await fleet.cli(['remove', 'guarded', '--keep-worker', '--yes'])).exitCode).toBe(0);
    const planted = join(outside, 'planted');
    await symlink(planted, secretsPath('guarded'));
    onTestFinished(() => rm(secretsPath('guarded'), { force: true }));
    const config = await readFile(join(fleet.dir, 'wrangler.jsonc'), 'utf8');
    const result = await fleet.cli(['restore', 'guarded']);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toContain(`${secretsPath('guarded')} exists; restore would replace it`);
    expect(await lstat(planted).catch(() => undefined)).toBeUndefined();
    expect(await readFile(join(fleet.dir, 'wrangler.jsonc'), 'utf8')).toBe(config);
    // Once the link is gone, the client comes back as it was.
    await rm(secretsPath('guarded'));
    expect((await fleet.cli(['restore', 'guarded'])).exitCode).toBe(0);
    expect(await readFile(secretsPath('guarded'))).toEqual(before);
  });
});
