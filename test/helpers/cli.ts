import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const binPath = join(repoRoot, 'bin', 'mcp-fleet.js');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  timeout?: number;
}

/** Runs the built mcp-fleet binary (npm test builds it first) as a user would. */
export async function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const result = await execa(process.execPath, [binPath, ...args], {
    cwd: options.cwd ?? tmpdir(),
    env: { CI: '1', NO_COLOR: '1', ...options.env },
    input: options.input ?? '',
    reject: false,
    timeout: options.timeout ?? 120_000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** A fresh temp directory, removed by the returned cleanup. */
export async function tempDir(prefix = 'mcp-fleet-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Gives a project in a temp dir this repo's node_modules, so wrangler can bundle the worker without an install. */
export async function linkNodeModules(projectDir: string): Promise<void> {
  await symlink(join(repoRoot, 'node_modules'), join(projectDir, 'node_modules'), 'dir');
}
