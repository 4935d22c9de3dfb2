import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
import { dieWithParentOptions } from '../local/lifecycle/die-with-parent.js';
import { ensureStateDir, fileStamp, statePaths } from '../util/state-dir.js';
import { TIMEOUT_MS } from '../util/timeouts.js';
import { missingPackages } from './missing-packages.js';
import { MODULE_CONTENT_TYPES, type UploadModule } from './worker-upload.js';
import { envArgs, recordChild, resolveWrangler } from './wrangler.js';

/**
 * Bundles the worker once with wrangler itself (`wrangler deploy --dry-run --outdir`), so what is
 * uploaded is byte for byte what `wrangler deploy` would upload: the same esbuild settings, the
 * same module. The source map is rewritten as wrangler rewrites it before an upload (its `file`
 * names the module, its sources are relative to the project). No API call, no token, no secret.
 */

export interface BuildOptions {
  projectDir: string;
  /** The wrangler environment whose settings the bundle is built with (any client of the build group); undefined for the top level. */
  env: string | undefined;
  /** Upload the source map with the code (wrangler's default unless `upload_source_maps` is false). */
  sourceMaps: boolean;
  /** A short name for the log file. */
  label: string;
  /** Default TIMEOUT_MS.wranglerBuild. */
  timeoutMs?: number;
}

export interface BuiltBundle {
  mainModule: string;
  modules: UploadModule[];
  /** sha256 over every module's name, type and contents: names the code a version runs. */
  hash: string;
}

export type BuildResult =
  | {
      ok: true;
      bundle: BuiltBundle;
      /** Absolute paths of the files esbuild read (from its metafile): what the bundle depends on. */
      inputs: string[];
      logPath: string;
      durationMs: number;
    }
  | { ok: false; failure: string; hint?: string; tail: string[]; logPath: string; durationMs: number };

export async function wranglerBuild(options: BuildOptions): Promise<BuildResult> {
  const started = Date.now();
  const wrangler = await resolveWrangler(options.projectDir);
  await ensureStateDir(options.projectDir, statePaths.wranglerLogs(options.projectDir));
  const logPath = join(statePaths.logs(options.projectDir), `build-${options.label}-${fileStamp()}.log`);
  const workDir = await mkdtemp(join(tmpdir(), 'mcp-fleet-build-'));
  const outDir = join(workDir, 'out');
  const metafile = join(workDir, 'meta.json');
  try {
    const args = [...wrangler.prefix, 'deploy', '--dry-run', '--outdir', outDir, '--metafile', metafile, ...envArgs(options.env)];
    await recordChild([wrangler.file, ...args]);
    const log = createWriteStream(logPath, { mode: 0o600, flags: 'wx' });
    log.write(
      `# mcp-fleet: wrangler (${wrangler.source}: ${wrangler.binPath}) ${['deploy', '--dry-run', ...envArgs(options.env)].join(' ')}\n`,
    );
    const tail: string[] = [];
    // A build killed with mcp-fleet must not keep running on its own (see dieWithParentOptions).
    const dieWithUs = dieWithParentOptions();
    const child = execa(wrangler.file, args, {
      cwd: options.projectDir,
      env: {
        ...dieWithUs.env,
        CI: '1',
        WRANGLER_SEND_METRICS: 'false',
        WRANGLER_SEND_ERROR_REPORTS: 'false',
        WRANGLER_HIDE_BANNER: 'true',
        WRANGLER_LOG_PATH: statePaths.wranglerLogs(options.projectDir),
        FORCE_COLOR: '0',
        NO_COLOR: '1',
        // A dry run needs no account; without a token it cannot reach one by mistake.
        CLOUDFLARE_API_TOKEN: '',
      },
      extendEnv: true,
      stdio: dieWithUs.stdio,
      detached: dieWithUs.detached,
      all: true,
      reject: false,
      timeout: options.timeoutMs ?? TIMEOUT_MS.wranglerBuild,
      forceKillAfterDelay: TIMEOUT_MS.killGrace,
    });
    const result = await child;
    const output = String(result.all ?? '');
    log.write(output);
    await new Promise<void>((resolve) => log.end(resolve));
    for (const raw of output.split(/\r?\n/)) {
      const line = stripVTControlCharacters(raw).trimEnd();
      if (line.trim() !== '') tail.push(line);
    }
    const durationMs = () => Date.now() - started;
    if (result.exitCode !== 0 || result.timedOut) {
      const missing = result.timedOut ? undefined : missingPackages(tail, options.projectDir);
      // esbuild's advice for this ("add an entry to alias") leads astray: the log keeps it, the report does not.
      if (missing) return { ok: false, ...missing, tail: [], logPath, durationMs: durationMs() };
      const failure = result.timedOut
        ? 'wrangler did not finish the build in time'
        : (tail.find((line) => /\[ERROR\]|✘/.test(line))?.replace(/^.*?\[ERROR\]\s*/, '') ?? `wrangler exited with ${result.exitCode}`);
      return { ok: false, failure, tail: tail.slice(-25), logPath, durationMs: durationMs() };
    }
    const bundle = await readBundle(outDir, options);
    if (typeof bundle === 'string') return { ok: false, failure: bundle, tail: tail.slice(-25), logPath, durationMs: durationMs() };
    return { ok: true, bundle, inputs: await inputsOf(metafile, options.projectDir), logPath, durationMs: durationMs() };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The modules wrangler wrote, as it would upload them; a string says why they cannot be uploaded directly. */
async function readBundle(outDir: string, options: BuildOptions): Promise<BuiltBundle | string> {
  const files = (await readdir(outDir)).filter((name) => name !== 'README.md');
  const code = files.filter((name) => !name.endsWith('.map'));
  if (code.length !== 1 || !/\.m?js$/.test(code[0] as string)) {
    return `the build produced ${code.length === 1 ? code[0] : `${code.length} modules`}; mcp-fleet uploads a single bundled ES module (deploy through wrangler instead)`;
  }
  const mainModule = code[0] as string;
  const modules: UploadModule[] = [
    { name: mainModule, contentType: MODULE_CONTENT_TYPES.esm, contents: new Uint8Array(await readFile(join(outDir, mainModule))) },
  ];
  const mapName = `${mainModule}.map`;
  if (options.sourceMaps && files.includes(mapName)) {
    const map = JSON.parse(await readFile(join(outDir, mapName), 'utf8')) as SourceMap;
    modules.push({
      name: mapName,
      contentType: MODULE_CONTENT_TYPES.sourceMap,
      contents: Buffer.from(rewriteSourceMap(map, mainModule, outDir, options.projectDir)),
    });
  }
  return { mainModule, modules, hash: bundleHash(modules) };
}

/** The files esbuild read, as absolute paths (its metafile names them relative to the project). */
async function inputsOf(metafile: string, projectDir: string): Promise<string[]> {
  try {
    const meta = JSON.parse(await readFile(metafile, 'utf8')) as { inputs?: Record<string, unknown> };
    return Object.keys(meta.inputs ?? {}).map((path) => resolve(projectDir, path));
  } catch {
    return [];
  }
}

interface SourceMap {
  file?: string;
  sourceRoot?: string;
  sources: string[];
  [key: string]: unknown;
}

/** As wrangler prepares a map for upload: `file` names the module, paths are relative to the project, not to the build directory. */
export function rewriteSourceMap(map: SourceMap, moduleName: string, buildDir: string, projectDir: string): string {
  const rewritten: SourceMap = { ...map, file: moduleName };
  if (map.sourceRoot) rewritten.sourceRoot = relative(buildDir, map.sourceRoot);
  rewritten.sources = map.sources.map((source) => relative(projectDir, join(buildDir, source)));
  return JSON.stringify(rewritten);
}

export function bundleHash(modules: readonly UploadModule[]): string {
  const hash = createHash('sha256');
  for (const module of modules) {
    hash.update(`${module.name}\0${module.contentType}\0${module.contents.byteLength}\0`);
    hash.update(module.contents);
  }
  return hash.digest('hex');
}
