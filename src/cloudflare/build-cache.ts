import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureStateDir, statePaths } from '../util/state-dir.js';
import type { UploadModule } from './worker-upload.js';
import { resolveWrangler } from './wrangler.js';
import { type BuildOptions, type BuildResult, type BuiltBundle, bundleHash, wranglerBuild } from './wrangler-build.js';

/**
 * Build once, across runs too: a bundle is kept in `.mcp-fleet/builds/<key>/` with every file esbuild
 * read to make it (its metafile's inputs) and a hash of each one's contents. The next deploy with the
 * same build settings and the same wrangler reuses it when none of those files changed (hashing them
 * takes milliseconds; a build takes seconds), and builds again otherwise. The key covers the build settings (main, define, flags, …), wrangler itself, and the
 * project's package.json and tsconfig.json (they steer module resolution without being inputs).
 */

export type CachedBuildResult = BuildResult & { cached: boolean };

interface InputStamp {
  path: string;
  sha256: string;
}

interface Manifest {
  version: 1;
  hash: string;
  mainModule: string;
  modules: { name: string; contentType: string; file: string }[];
  inputs: InputStamp[];
}

/** Kept entries per project; the oldest go first. */
const MAX_ENTRIES = 8;

export async function cachedBuild(options: BuildOptions & { settingsKey: string }): Promise<CachedBuildResult> {
  const started = Date.now();
  const root = statePaths.builds(options.projectDir);
  const entry = join(root, await entryKey(options));
  const reused = await readEntry(entry);
  if (reused) return { ok: true, cached: true, bundle: reused, inputs: [], logPath: '', durationMs: Date.now() - started };
  const built = await wranglerBuild(options);
  if (built.ok) await writeEntry(options.projectDir, root, entry, built.bundle, built.inputs).catch(() => undefined);
  return { ...built, cached: false };
}

async function entryKey(options: BuildOptions & { settingsKey: string }): Promise<string> {
  const wrangler = await resolveWrangler(options.projectDir);
  const hash = createHash('sha256');
  const wranglerInstall = await stat(wrangler.binPath).then(
    (info) => info.mtimeMs,
    () => 0,
  );
  hash.update(JSON.stringify([options.settingsKey, options.sourceMaps, wrangler.binPath, wranglerInstall]));
  for (const file of ['package.json', 'tsconfig.json']) hash.update(JSON.stringify(await stamp(join(options.projectDir, file))));
  return hash.digest('hex').slice(0, 32);
}

async function stamp(path: string): Promise<InputStamp | undefined> {
  try {
    return {
      path,
      sha256: createHash('sha256')
        .update(await readFile(path))
        .digest('hex'),
    };
  } catch {
    return undefined;
  }
}

/** The cached bundle when every input is as it was and the bundle is intact; undefined otherwise. */
async function readEntry(dir: string): Promise<BuiltBundle | undefined> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
  if (manifest.version !== 1 || manifest.inputs.length === 0) return undefined;
  const now = await Promise.all(manifest.inputs.map((input) => stamp(input.path)));
  if (now.some((current, index) => current?.sha256 !== manifest.inputs[index]?.sha256)) return undefined;
  try {
    const modules: UploadModule[] = await Promise.all(
      manifest.modules.map(async (module) => ({
        name: module.name,
        contentType: module.contentType,
        contents: new Uint8Array(await readFile(join(dir, module.file))),
      })),
    );
    return bundleHash(modules) === manifest.hash ? { mainModule: manifest.mainModule, modules, hash: manifest.hash } : undefined;
  } catch {
    return undefined;
  }
}

/** Writes an entry whole (into a temporary directory renamed into place), then drops the oldest beyond MAX_ENTRIES. */
async function writeEntry(projectDir: string, root: string, dir: string, bundle: BuiltBundle, inputs: readonly string[]): Promise<void> {
  const stamps = (await Promise.all(inputs.map(stamp))).filter((entry): entry is InputStamp => entry !== undefined);
  // Inputs that are not files (wrangler's virtual modules) come from wrangler and the settings: the key covers them.
  if (stamps.length === 0) return;
  await ensureStateDir(projectDir, root);
  const temporary = await ensureStateDir(projectDir, join(root, `.tmp-${randomBytes(6).toString('hex')}`));
  try {
    const modules = bundle.modules.map((module, index) => ({
      name: module.name,
      contentType: module.contentType,
      file: `module-${index}`,
    }));
    await Promise.all(
      bundle.modules.map((module, index) => writeFile(join(temporary, `module-${index}`), module.contents, { mode: 0o600 })),
    );
    const manifest: Manifest = { version: 1, hash: bundle.hash, mainModule: bundle.mainModule, modules, inputs: stamps };
    await writeFile(join(temporary, 'manifest.json'), `${JSON.stringify(manifest)}\n`, { mode: 0o600 });
    await rm(dir, { recursive: true, force: true });
    await rename(temporary, dir);
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
  await prune(root);
}

async function prune(root: string): Promise<void> {
  const names = (await readdir(root)).filter((name) => !name.startsWith('.'));
  if (names.length <= MAX_ENTRIES) return;
  const aged = await Promise.all(
    names.map(async (name) => ({
      name,
      mtimeMs: await stat(join(root, name)).then(
        (info) => info.mtimeMs,
        () => 0,
      ),
    })),
  );
  aged.sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const old of aged.slice(MAX_ENTRIES)) await rm(join(root, old.name), { recursive: true, force: true });
}
