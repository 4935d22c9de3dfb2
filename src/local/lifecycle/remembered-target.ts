import { readFile, rm } from 'node:fs/promises';
import { usageError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/files.js';
import { commandLine } from '../../util/next-step.js';
import { ensureStateDir, stateDir, statePaths } from '../../util/state-dir.js';

/**
 * `local start` makes the local edge the project's target until `local stop`: commands then act on
 * the edge without `--local`. The record outlives the edge on purpose: an edge that died (a crash, a
 * reboot, Ctrl-C of a foreground edge) leaves it, and the next command says the edge is gone instead
 * of quietly acting on Cloudflare.
 */

export interface RememberedTarget {
  target: 'local';
  /** When `local start` made it the default (ISO time). */
  since: string;
}

export function rememberedTargetPath(projectDir: string): string {
  return statePaths.target(projectDir);
}

export async function rememberLocalTarget(projectDir: string, now: Date = new Date()): Promise<void> {
  await ensureStateDir(projectDir, stateDir(projectDir));
  const record: RememberedTarget = { target: 'local', since: now.toISOString() };
  await writeFileAtomic(rememberedTargetPath(projectDir), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

/** Forgets the remembered target; true when there was one. */
export async function forgetRememberedTarget(projectDir: string): Promise<boolean> {
  const had = (await readRememberedTarget(projectDir).catch(() => undefined)) !== undefined;
  await rm(rememberedTargetPath(projectDir), { force: true });
  return had;
}

/** The remembered target, undefined when none; a record that is not one is bad input (exit 2), never a silent Cloudflare. */
export async function readRememberedTarget(projectDir: string): Promise<RememberedTarget | undefined> {
  const path = rememberedTargetPath(projectDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw usageError(
      `${path} cannot be read: ${(error as Error).message}`,
      `Make it readable, or forget it with: ${commandLine('local', 'stop')}`,
    );
  }
  let parsed: Partial<RememberedTarget> | undefined;
  try {
    parsed = JSON.parse(text) as Partial<RememberedTarget>;
  } catch {
    parsed = undefined;
  }
  if (parsed?.target !== 'local' || typeof parsed.since !== 'string') {
    throw usageError(
      `${path} does not say which target this project uses`,
      `Forget it with: ${commandLine('local', 'stop')} (then ${commandLine('local', 'start', '--detach')} makes the edge the default again)`,
    );
  }
  return { target: 'local', since: parsed.since };
}
