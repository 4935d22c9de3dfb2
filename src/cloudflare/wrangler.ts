import { createWriteStream } from 'node:fs';
import { appendFile, readFile, realpath, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
import { dieWithParentOptions } from '../local/lifecycle/die-with-parent.js';
import { FleetError } from '../util/errors.js';
import { exists } from '../util/files.js';
import { ensureStateDir, fileStamp, statePaths } from '../util/state-dir.js';
import { TIMEOUT_MS } from '../util/timeouts.js';
import { makeDeployTempDir, removeDeployTempDir } from './deploy-temp.js';
import type { Target } from './target.js';

/** API calls a `wrangler deploy` makes (9 for a new worker, 9–10 for an existing one), rounded up for its own retries. */
export const WRANGLER_DEPLOY_API_CALLS = 12;

/**
 * When set, every child process mcp-fleet starts has its command line appended to this file, one
 * JSON array per line: an audit trail showing that no secret ever travels in argv.
 */
export const CHILD_LOG_ENV = 'MCP_FLEET_CHILD_LOG';

export interface WranglerCommand {
  /** The program to run (node itself: the bin's shebang might find an older node on PATH). */
  file: string;
  /** Arguments before wrangler's own (the bin script). */
  prefix: string[];
  source: 'project' | 'mcp-fleet';
  binPath: string;
}

/** The project's own wrangler (node_modules/.bin/wrangler) when installed, else the one mcp-fleet ships with. */
export async function resolveWrangler(projectDir: string): Promise<WranglerCommand> {
  const projectBin = join(projectDir, 'node_modules', '.bin', 'wrangler');
  if (await exists(projectBin)) {
    const real = await realpath(projectBin);
    return /\.[cm]?js$/.test(real)
      ? { file: process.execPath, prefix: [real], source: 'project', binPath: real }
      : { file: real, prefix: [], source: 'project', binPath: real };
  }
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('wrangler/package.json');
  const pkg = JSON.parse(await readFile(pkgPath, 'utf8')) as { bin?: string | Record<string, string> };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.wrangler;
  if (!bin)
    throw new FleetError(`cannot find wrangler's executable in ${pkgPath}`, {
      hint: 'Reinstall mcp-fleet, or install wrangler in the project: npm install -D wrangler',
    });
  const binPath = join(dirname(pkgPath), bin);
  return { file: process.execPath, prefix: [binPath], source: 'mcp-fleet', binPath };
}

export interface WranglerDeployOptions {
  projectDir: string;
  /** The wrangler environment (= client name); undefined for the top-level worker, deployed without `--env`. */
  env: string | undefined;
  /** Names the log files (the client). */
  label: string;
  target: Target;
  /**
   * Secrets uploaded with the code, so the new version has exactly these values. Always given by
   * mcp-fleet's deploy: see ops/deploy.ts for why every deploy carries them.
   */
  secrets: ReadonlyMap<string, string> | undefined;
  /** Each line wrangler prints (for a live status line). Lines never contain secret values. */
  onLine?: (line: string) => void;
  /** Default TIMEOUT_MS.wranglerDeploy. */
  timeoutMs?: number;
}

export interface WranglerDeployResult {
  ok: boolean;
  exitCode: number | undefined;
  /** Full output of the run: `.mcp-fleet/logs/<client>-<timestamp>.log` (0600). */
  logPath: string;
  /** The last lines of output, shown for failures. */
  tail: string[];
  versionId: string | undefined;
  durationMs: number;
  /** Why it failed, in one line (wrangler's error line, a timeout, …). */
  failure: string | undefined;
  wrangler: 'project' | 'mcp-fleet';
}

/**
 * `--env <name>` for an env's worker; `--env=` for the top-level worker: an empty env is wrangler's
 * documented way to name the top level when envs are defined (without it, it warns of a mistake).
 */
export function envArgs(env: string | undefined): string[] {
  return env === undefined ? ['--env='] : ['--env', env];
}

/**
 * Runs `wrangler deploy --env <client>` (`--env=` for the top-level worker) against the target. The
 * token and base URL travel in the child's environment only; secret values in a JSON file in a fresh
 * 0700 directory under the project's `.mcp-fleet/tmp/`, removed when wrangler exits, whatever
 * happened (see deploy-temp.ts for Ctrl-C and SIGKILL). wrangler dies with this process (see
 * dieWithParentOptions).
 */
export async function wranglerDeploy(options: WranglerDeployOptions): Promise<WranglerDeployResult> {
  const started = Date.now();
  const wrangler = await resolveWrangler(options.projectDir);
  const logs = statePaths.logs(options.projectDir);
  await ensureStateDir(options.projectDir, statePaths.wranglerLogs(options.projectDir));
  const stamp = fileStamp();
  const logPath = join(logs, `${options.label}-${stamp}.log`);
  const outputPath = join(logs, `${options.label}-${stamp}.output.jsonl`);

  const workDir = await makeDeployTempDir(options.projectDir);
  try {
    const args = [...wrangler.prefix, 'deploy', ...envArgs(options.env)];
    if (options.secrets !== undefined) {
      const secretsPath = join(workDir, 'secrets.json');
      // JSON, not dotenv: wrangler expands $VAR in dotenv files and a value may contain `$`.
      await writeFile(secretsPath, JSON.stringify(Object.fromEntries(options.secrets)), { mode: 0o600, flag: 'wx' });
      args.push('--secrets-file', secretsPath);
    }
    await recordChild([wrangler.file, ...args]);

    const log = createWriteStream(logPath, { mode: 0o600, flags: 'wx' });
    log.write(
      `# mcp-fleet: wrangler (${wrangler.source}: ${wrangler.binPath}) ${['deploy', ...envArgs(options.env)].join(' ')} → ${options.target.kind} ${options.target.apiBaseUrl}\n`,
    );
    const tail: string[] = [];
    let pending = '';
    const onData = (chunk: Buffer | string): void => {
      const text = String(chunk);
      log.write(text);
      pending += text;
      const lines = pending.split(/\r?\n/);
      pending = lines.pop() ?? '';
      for (const raw of lines) {
        const line = stripVTControlCharacters(raw).trimEnd();
        if (line.trim() === '') continue;
        tail.push(line);
        if (tail.length > 25) tail.shift();
        options.onLine?.(line.trim());
      }
    };

    const timeoutMs = options.timeoutMs ?? TIMEOUT_MS.wranglerDeploy;
    const dieWithUs = dieWithParentOptions();
    const child = execa(wrangler.file, args, {
      cwd: options.projectDir,
      env: {
        ...dieWithUs.env,
        ...options.target.childEnv(),
        CI: '1',
        WRANGLER_SEND_METRICS: 'false',
        WRANGLER_SEND_ERROR_REPORTS: 'false',
        WRANGLER_HIDE_BANNER: 'true',
        // Wrangler's own debug log goes beside ours, so that it is private and audited with them.
        WRANGLER_LOG_PATH: statePaths.wranglerLogs(options.projectDir),
        WRANGLER_OUTPUT_FILE_PATH: outputPath,
        FORCE_COLOR: '0',
        NO_COLOR: '1',
      },
      extendEnv: true,
      stdio: dieWithUs.stdio,
      detached: dieWithUs.detached,
      all: true,
      buffer: false,
      reject: false,
      timeout: timeoutMs,
      forceKillAfterDelay: TIMEOUT_MS.killGrace,
    });
    child.all?.on('data', onData);
    const result = await child;
    if (pending.trim() !== '') onData('\n');
    await new Promise<void>((resolve) => log.end(resolve));

    const output = await readOutputFile(outputPath);
    const ok = result.exitCode === 0 && !result.timedOut;
    return {
      ok,
      exitCode: result.exitCode,
      logPath,
      tail,
      versionId: output.versionId,
      durationMs: Date.now() - started,
      failure: ok
        ? undefined
        : result.timedOut
          ? `wrangler did not finish within ${Math.round(timeoutMs / 1000)} s`
          : (output.error ?? errorLine(tail) ?? `wrangler exited with ${result.exitCode ?? result.signal}`),
      wrangler: wrangler.source,
    };
  } finally {
    await removeDeployTempDir(workDir);
  }
}

/** Appends a child's argv to $MCP_FLEET_CHILD_LOG when set. */
export async function recordChild(argv: readonly string[]): Promise<void> {
  const path = process.env[CHILD_LOG_ENV];
  if (path) await appendFile(path, `${JSON.stringify(argv)}\n`, { mode: 0o600 });
}

function errorLine(tail: readonly string[]): string | undefined {
  const line = tail.find((candidate) => /^\s*(✘|X \[ERROR\]|\[ERROR\])/.test(candidate));
  return line?.replace(/^\s*(✘|X)?\s*\[ERROR\]\s*/, '').trim();
}

/** Reads what wrangler wrote to WRANGLER_OUTPUT_FILE_PATH: the deploy entry (its version) or an error entry. */
async function readOutputFile(path: string): Promise<{ versionId: string | undefined; error: string | undefined }> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return { versionId: undefined, error: undefined };
  }
  let versionId: string | undefined;
  let error: string | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof entry !== 'object' || entry === null) continue;
    const record = entry as Record<string, unknown>;
    if (record.type === 'deploy' && typeof record.version_id === 'string') versionId = record.version_id;
    if (record.type === 'command-failed' && typeof record.message === 'string') error = record.message.split('\n')[0];
  }
  return { versionId, error };
}
