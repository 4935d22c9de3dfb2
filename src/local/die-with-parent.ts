import { spawnSync } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

/**
 * workerd must not outlive the edge that started it: an edge killed with SIGKILL runs no cleanup,
 * and its workerd would keep serving the workers (secrets included) on their loopback ports.
 *
 * Linux's prctl(PR_SET_PDEATHSIG) has the kernel send a signal to a process when its parent dies,
 * whatever kills the parent. Node cannot call prctl, but util-linux's `setpriv --pdeathsig KILL --
 * <program>` sets it and then execs the program, so the program keeps setpriv's pid and parent. Miniflare
 * spawns workerd itself and only lets us choose the executable (MINIFLARE_WORKERD_PATH), so that
 * executable is a two-line script that execs workerd under setpriv: workerd's parent is still the
 * edge, and miniflare's own kill reaches workerd, not a wrapper.
 *
 * Where setpriv (or --pdeathsig) is missing, workerd runs as before, and the next `local start` or
 * `local stop` stops what a killed edge left in its process group (orphans.ts).
 */

const REAL_WORKERD_ENV = 'MCP_FLEET_WORKERD_BIN';

export interface WorkerdGuard {
  /** The executable miniflare runs as workerd. */
  script: string;
  /** The workerd it execs. */
  workerd: string;
}

let supported: boolean | undefined;

/** Whether `setpriv --pdeathsig` works here (checked once). */
export function pdeathsigAvailable(): boolean {
  if (supported === undefined) {
    supported =
      process.platform === 'linux' &&
      spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore', timeout: 5_000 }).status === 0;
  }
  return supported;
}

/** Writes the guard script at `path` (0700) and proves it starts workerd; undefined where the guard cannot work. */
export async function installWorkerdGuard(path: string): Promise<WorkerdGuard | undefined> {
  if (!pdeathsigAvailable()) return undefined;
  const workerd = process.env.MINIFLARE_WORKERD_PATH ?? workerdBinary();
  await writeFile(path, `#!/bin/sh\nexec setpriv --pdeathsig KILL -- "$${REAL_WORKERD_ENV}" "$@"\n`, { mode: 0o700 });
  await chmod(path, 0o700);
  // A project on a noexec filesystem cannot run the script: then workerd runs unguarded rather than not at all.
  const probe = spawnSync(path, ['--version'], { stdio: 'ignore', timeout: 10_000, env: { ...process.env, [REAL_WORKERD_ENV]: workerd } });
  return probe.status === 0 ? { script: path, workerd } : undefined;
}

let holders = 0;
let saved: { path: string | undefined; real: string | undefined } | undefined;

/**
 * Runs `start` (a Miniflare start or restart, during which it spawns workerd) with miniflare pointed
 * at the guard. The variables are set only meanwhile, so that no other child of this process (a
 * wrangler of another version, say) inherits them.
 */
export async function withWorkerdGuard<T>(guard: WorkerdGuard | undefined, start: () => Promise<T>): Promise<T> {
  if (!guard) return start();
  if (holders++ === 0) {
    saved = { path: process.env.MINIFLARE_WORKERD_PATH, real: process.env[REAL_WORKERD_ENV] };
    process.env.MINIFLARE_WORKERD_PATH = guard.script;
    process.env[REAL_WORKERD_ENV] = guard.workerd;
  }
  try {
    return await start();
  } finally {
    if (--holders === 0 && saved) {
      restore('MINIFLARE_WORKERD_PATH', saved.path);
      restore(REAL_WORKERD_ENV, saved.real);
    }
  }
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

/** The workerd miniflare would run: the `workerd` package beside miniflare exports its path. */
function workerdBinary(): string {
  const require = createRequire(import.meta.url);
  const fromMiniflare = createRequire(require.resolve('miniflare'));
  return (fromMiniflare('workerd') as { default: string }).default;
}
