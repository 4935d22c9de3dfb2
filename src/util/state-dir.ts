import type { Stats } from 'node:fs';
import { chmod, lstat, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { usageError } from './errors.js';
import { shellQuote } from './next-step.js';

/**
 * The layout of a fleet project's tool state, `.mcp-fleet/` (ignored by git). Every other module
 * asks here for a path instead of joining names itself, so the layout is written down once:
 *
 *   .mcp-fleet/
 *     backups/<client>/      copies of secrets files before rotate and add --force; pending-rotation
 *     removed/               what remove keeps of a client: its secrets file and a record of its worker and section (restore)
 *     logs/                  wrangler's output per deploy and per build (logs/wrangler/: wrangler's own log files)
 *     builds/<key>/          deploy's bundle per build configuration and the files it was built from
 *     tmp/                   files a running command needs for a moment: deploy-<pid>-<random>/ holds the secrets
 *                            file wrangler deploys with (a dead pid's are swept by the next deploy)
 *     local/                 the local edge: edge.json, edge.log, workerd-guard, state/
 *     target.json            the project's remembered target (local start writes it, local stop removes it)
 *     project.lock/          held by the one command changing the project (project.lock.json: which one)
 *
 * Every directory in it is private (0700): several hold secret values.
 */
export const STATE_DIR_NAME = '.mcp-fleet';

export function stateDir(projectDir: string): string {
  return join(projectDir, STATE_DIR_NAME);
}

export const statePaths = {
  backups: (projectDir: string, client: string): string => join(stateDir(projectDir), 'backups', client),
  removed: (projectDir: string): string => join(stateDir(projectDir), 'removed'),
  logs: (projectDir: string): string => join(stateDir(projectDir), 'logs'),
  wranglerLogs: (projectDir: string): string => join(stateDir(projectDir), 'logs', 'wrangler'),
  localEdge: (projectDir: string): string => join(stateDir(projectDir), 'local'),
  localEdgeState: (projectDir: string): string => join(stateDir(projectDir), 'local', 'state'),
  /** Which target commands act on without --local/--remote: written by `local start`, removed by `local stop`. */
  target: (projectDir: string): string => join(stateDir(projectDir), 'target.json'),
  /** The executable that runs workerd so that it dies with the edge (local/die-with-parent.ts). */
  workerdGuard: (projectDir: string): string => join(stateDir(projectDir), 'local', 'workerd-guard'),
  /** Bundles built by deploy, by build configuration, with the files each was built from (reused while none changed). */
  builds: (projectDir: string): string => join(stateDir(projectDir), 'builds'),
  /** Private scratch space of running commands, e.g. the secrets file of a deploy in flight. */
  tmp: (projectDir: string): string => join(stateDir(projectDir), 'tmp'),
  /** The project lock (a directory, by proper-lockfile) and who holds it. */
  lock: (projectDir: string): string => join(stateDir(projectDir), 'project.lock'),
  lockHolder: (projectDir: string): string => join(stateDir(projectDir), 'project.lock.json'),
} as const;

function checkInside(projectDir: string, path: string): string {
  const root = stateDir(projectDir);
  if (path !== root && !path.startsWith(`${root}/`)) throw new Error(`${path} is not inside ${root}`);
  return root;
}

/** `.mcp-fleet` and each directory from it down to `path`, in that order. */
function chainTo(root: string, path: string): string[] {
  const chain = [root];
  for (const segment of path.slice(root.length).split('/').filter(Boolean)) chain.push(join(chain.at(-1) as string, segment));
  return chain;
}

/**
 * Creates `path` and every directory between it and `.mcp-fleet/` as private directories (0700),
 * tightening any that exist already; returns `path`. Works for any path inside the state directory.
 * Each one must be a directory of this user's, not a link (see stateDirProblem): secrets go there.
 */
export async function ensureStateDir(projectDir: string, path: string): Promise<string> {
  for (const dir of chainTo(checkInside(projectDir, path), path)) await ensurePrivateDir(dir);
  return path;
}

/**
 * Checks the directories from `.mcp-fleet/` down to `path` that exist, creating none, before
 * something is read from there and trusted (edge.json names where secrets are sent). A missing
 * directory is fine: there is nothing to read.
 */
export async function checkStateDir(projectDir: string, path: string): Promise<void> {
  for (const dir of chainTo(checkInside(projectDir, path), path)) {
    const info = await lstatIfAny(dir);
    if (!info) return;
    await refuseUntrusted(dir, info);
  }
}

/**
 * As checkStateDir for the directory holding `path`, and `path` itself, if it exists, must be a
 * file of this user's and not a link: what is read from it is trusted.
 */
export async function checkStateFile(projectDir: string, path: string): Promise<void> {
  const parent = path.slice(0, path.lastIndexOf('/'));
  await checkStateDir(projectDir, parent);
  const info = await lstatIfAny(path);
  if (!info) return;
  const uid = process.getuid?.();
  const quoted = shellQuote(path);
  if (info.isSymbolicLink())
    throw usageError(
      `${path} is a symbolic link; mcp-fleet reads its own state only from files in the project`,
      `Remove the link: rm ${quoted}`,
    );
  if (uid !== undefined && info.uid !== uid)
    throw usageError(
      `${path} belongs to another user (uid ${info.uid}; this is uid ${uid}); mcp-fleet will not trust what another user wrote there`,
      `If it is yours, take it back: sudo chown "$(id -u):$(id -g)" ${quoted} — otherwise remove it: sudo rm ${quoted}`,
    );
}

/**
 * Creates a private directory (0700) whose parent exists (a parent that is gone is not recreated),
 * or tightens one that exists; refuses one that is not this user's own directory.
 */
export async function ensurePrivateDir(path: string): Promise<void> {
  let info = await lstatIfAny(path);
  if (!info) {
    await mkdir(path, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    info = await lstat(path);
  }
  await refuseUntrusted(path, info);
  if ((info.mode & 0o777) !== 0o700) await chmod(path, 0o700);
}

/** What stateDirProblem needs of an lstat result. */
export type DirFacts = Pick<Stats, 'uid'> & { isSymbolicLink(): boolean; isDirectory(): boolean };

/**
 * Why a directory of `.mcp-fleet/` must not be used, or undefined. A link (to a shared or
 * world-writable directory, or another project's) would put secrets outside the project and have
 * its target chmod'ed; a directory of another user's is theirs to read, fill or swap. `uid` is this
 * process's (undefined where the platform has none).
 */
export function stateDirProblem(path: string, info: DirFacts, uid: number | undefined): string | undefined {
  if (info.isSymbolicLink()) return `${path} is a symbolic link`;
  if (!info.isDirectory()) return `${path} is not a directory`;
  if (uid !== undefined && info.uid !== uid) return `${path} belongs to another user (uid ${info.uid}; this is uid ${uid})`;
  return undefined;
}

async function refuseUntrusted(path: string, info: Stats): Promise<void> {
  const problem = stateDirProblem(path, info, process.getuid?.());
  if (!problem) return;
  const quoted = shellQuote(path);
  if (info.isSymbolicLink()) {
    const target = await stat(path).catch(() => undefined);
    const open = target !== undefined && (target.mode & 0o002) !== 0 ? ' to a directory anyone can write to' : '';
    throw usageError(
      `${problem}${open}; mcp-fleet keeps secret values in ${STATE_DIR_NAME}/ and follows no link out of the project`,
      `Remove the link, and mcp-fleet makes a private directory in its place: rm ${quoted}`,
    );
  }
  if (!info.isDirectory())
    throw usageError(`${problem}; mcp-fleet keeps its state there`, `Move it out of the way: mv ${quoted} ${shellQuote(`${path}.old`)}`);
  throw usageError(
    `${problem}; mcp-fleet keeps secret values in ${STATE_DIR_NAME}/ and will not use a directory another user controls`,
    `If what is in it is yours, take it back: sudo chown -R "$(id -u):$(id -g)" ${quoted} — otherwise remove it: sudo rm -r ${quoted}`,
  );
}

async function lstatIfAny(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A timestamp for file names that sorts by time and is valid on every filesystem: 2026-11-21T21-45-17-123Z. */
export function fileStamp(date: Date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, '-');
}
