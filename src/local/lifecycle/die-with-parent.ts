import { spawnSync } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

/**
 * Children that must not outlive the process that started them, however it dies (SIGKILL included):
 * workerd under the edge (here, below) and wrangler under mcp-fleet (dieWithParentOptions, further
 * down). An edge killed with SIGKILL runs no cleanup, and its workerd would keep serving the workers
 * (secrets included) on their loopback ports.
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
/** How many Miniflare starts are under way with the guard in the environment, and what it replaced. */
let holders = 0;
let saved: { path: string | undefined; real: string | undefined } | undefined;

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
  // While another edge of this process starts workerd, the variable names that edge's guard, not a workerd.
  const chosen = holders > 0 ? saved?.path : process.env.MINIFLARE_WORKERD_PATH;
  const workerd = chosen ?? workerdBinary();
  await writeFile(path, `#!/bin/sh\nexec setpriv --pdeathsig KILL -- "$${REAL_WORKERD_ENV}" "$@"\n`, { mode: 0o700 });
  await chmod(path, 0o700);
  // A project on a noexec filesystem cannot run the script: then workerd runs unguarded rather than not at all.
  const probe = spawnSync(path, ['--version'], { stdio: 'ignore', timeout: 10_000, env: { ...process.env, [REAL_WORKERD_ENV]: workerd } });
  return probe.status === 0 ? { script: path, workerd } : undefined;
}

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

/**
 * A Node child (wrangler) must not outlive mcp-fleet: killed with SIGKILL, mcp-fleet runs no
 * cleanup, and a wrangler still uploading could land stale secrets after the project lock is free
 * again (a rotate that ran meanwhile would be undone). Node cannot set PR_SET_PDEATHSIG, so wrangler watches us:
 * it starts with fd 3 the end of a pipe whose other end only this process holds, and the kernel
 * closes that end however this process dies. A module that Node loads into wrangler before
 * wrangler's own code (NODE_OPTIONS --import, so it also works through a package manager's shell
 * shim) reads fd 3 and, at its end, SIGKILLs wrangler's process group (wrangler leads one: spawned
 * detached), so its helpers (esbuild) go too. The watcher does not keep wrangler alive (unref), and
 * it takes itself out of the environment so that wrangler's own children do not inherit it.
 */
const PARENT_WATCH = `import { Socket } from 'node:net';
const fd = Number(process.env.MCP_FLEET_PARENT_FD);
delete process.env.MCP_FLEET_PARENT_FD;
process.env.NODE_OPTIONS = (process.env.NODE_OPTIONS || '').replace('--import=' + import.meta.url, '').trim();
if (fd > 2) {
  const die = () => {
    try { process.kill(-process.pid, 'SIGKILL'); } catch {}
    process.kill(process.pid, 'SIGKILL');
  };
  const parent = new Socket({ fd, readable: true, writable: false });
  parent.on('error', die);
  parent.on('end', die);
  parent.resume();
  parent.unref();
}
`;

/**
 * What makes a wrangler child die with this process (PARENT_WATCH): its environment additions, its
 * stdio (fd 3 is the pipe; stdin ignored), and its own process group. For every wrangler mcp-fleet
 * starts: spread into execa's options.
 */
export function dieWithParentOptions(): {
  env: Record<string, string>;
  stdio: ['ignore', 'pipe', 'pipe', 'pipe'];
  detached: boolean;
} {
  const watch = `--import=data:text/javascript;base64,${Buffer.from(PARENT_WATCH).toString('base64')}`;
  return {
    env: { NODE_OPTIONS: [process.env.NODE_OPTIONS, watch].filter(Boolean).join(' '), MCP_FLEET_PARENT_FD: '3' },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    detached: process.platform !== 'win32',
  };
}
