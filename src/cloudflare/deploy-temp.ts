import { readdirSync, rmSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive } from '../util/process-alive.js';
import { ensureStateDir, statePaths } from '../util/state-dir.js';

/**
 * The private directory that holds a wrangler deploy's secrets file while wrangler runs:
 * `.mcp-fleet/tmp/deploy-<pid>-<random>/`. A `finally` does not run when the process dies of Ctrl-C
 * or SIGTERM, so the directories are also removed on exit and on those signals; one killed beyond
 * reach of any handler (SIGKILL) is swept by the next deploy, its pid being gone.
 */
const PREFIX = 'deploy-';
const OWNER_PID = new RegExp(`^${PREFIX}(\\d+)-`);

/**
 * Creates a fresh deploy directory. The signal guard is armed before the directory exists and finds
 * this process's directories by name, not by a list filled in after `mkdtemp` resolves: a Ctrl-C
 * landing between the two would otherwise leave a directory nobody knew of yet.
 */
export async function makeDeployTempDir(projectDir: string): Promise<string> {
  const tmp = await ensureStateDir(projectDir, statePaths.tmp(projectDir));
  await sweepDeployTemp(projectDir);
  guardParent(tmp);
  return mkdtemp(join(tmp, ownPrefix()));
}

export async function removeDeployTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Removes the deploy directories (and the secrets files in them) of runs whose process is gone. */
export async function sweepDeployTemp(projectDir: string): Promise<string[]> {
  const tmp = statePaths.tmp(projectDir);
  const names = await readdir(tmp).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const pid = OWNER_PID.exec(name)?.[1];
    if (pid === undefined || isAlive(Number(pid))) continue;
    await rm(join(tmp, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** What a signal or exit does: removes every deploy directory of this process under the guarded parents. */
export function removeOwnDeployDirs(): void {
  for (const parent of guardedParents) {
    let names: string[];
    try {
      names = readdirSync(parent);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.startsWith(ownPrefix())) continue;
      try {
        // Retried: a write still in flight on libuv's pool can land a file between listing and rmdir.
        rmSync(join(parent, name), { recursive: true, force: true, maxRetries: 3 });
      } catch {
        // Left for the next deploy's sweep; a throw here would stop the others being removed.
      }
    }
  }
}

function ownPrefix(): string {
  return `${PREFIX}${process.pid}-`;
}

const guardedParents = new Set<string>();
let guardsInstalled = false;

function guardParent(parent: string): void {
  guardedParents.add(parent);
  if (guardsInstalled) return;
  guardsInstalled = true;
  process.on('exit', removeOwnDeployDirs);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      removeOwnDeployDirs();
      // Then die of the same signal, as the process would have without this handler.
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
