import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import lockfile from 'proper-lockfile';
import { FleetError } from './errors.js';
import { readFileIfExists, writeFileAtomic } from './files.js';
import { isAlive } from './process-alive.js';
import { ensureStateDir, stateDir, statePaths } from './state-dir.js';

/**
 * One writer at a time per fleet project. Two commands that read wrangler.jsonc or a secrets file,
 * change it, and write it back (or push what they read) would otherwise lose one another's work:
 * two `add`s drop an env section, a `deploy` during a `rotate` ships the revoked key.
 *
 * proper-lockfile holds a directory and refreshes its mtime while we live; a holder that died
 * (even by SIGKILL) stops refreshing, and after STALE_MS the next writer takes over. Who holds it
 * is written beside it, for the message a waiting writer shows.
 */
const STALE_MS = 5_000;
const UPDATE_MS = 1_000;
const POLL_MS = 200;

export interface LockHolder {
  pid: number;
  command: string;
  since: string;
}

export interface HeldLock {
  release(): Promise<void>;
}

export interface LockOptions {
  /** What holds it, shown to a writer that has to wait (e.g. "secrets rotate"). */
  command: string;
  /** Wait for the holder (default) or fail at once. */
  wait: boolean;
  /** Called once when the lock is busy and we start waiting. */
  onWaiting?: (holder: LockHolder | undefined) => void;
}

export async function acquireProjectLock(projectDir: string, options: LockOptions): Promise<HeldLock> {
  const dir = await ensureStateDir(projectDir, stateDir(projectDir));
  const holderPath = statePaths.lockHolder(projectDir);
  let waiting = false;
  for (;;) {
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(dir, {
        lockfilePath: statePaths.lock(projectDir),
        realpath: false,
        stale: STALE_MS,
        update: UPDATE_MS,
        retries: 0,
        // Losing the lock mid-command (its directory removed by hand, the machine suspended past
        // STALE_MS) must not crash the command halfway through a write; it finishes and releases.
        onCompromised: () => undefined,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      const holder = await readHolder(holderPath);
      if (!options.wait) {
        throw new FleetError(`another mcp-fleet command is changing this project: ${describeHolder(holder)}`, {
          hint: 'Run again when it has finished, or without --no-wait to wait for it.',
        });
      }
      if (!waiting) options.onWaiting?.(holder);
      waiting = true;
      await sleep(POLL_MS);
      continue;
    }
    const holder: LockHolder = { pid: process.pid, command: options.command, since: new Date().toISOString() };
    await writeFileAtomic(holderPath, `${JSON.stringify(holder)}\n`, { mode: 0o600 });
    return {
      async release() {
        await rm(holderPath, { force: true });
        await release().catch(() => undefined);
      },
    };
  }
}

export function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'a command that is just starting or finishing';
  const alive = isAlive(holder.pid);
  return `${holder.command} (pid ${holder.pid}, since ${holder.since})${alive ? '' : ' — no longer running; its lock expires within seconds'}`;
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const parsed = JSON.parse((await readFileIfExists(path)) ?? 'null') as Partial<LockHolder> | null;
    if (parsed && typeof parsed.pid === 'number' && typeof parsed.command === 'string' && typeof parsed.since === 'string') {
      return { pid: parsed.pid, command: parsed.command, since: parsed.since };
    }
  } catch {
    // Half-written or removed while we read: the holder is unknown for now.
  }
  return undefined;
}
