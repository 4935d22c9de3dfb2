import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

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

/**
 * Creates `path` and every directory between it and `.mcp-fleet/` as private directories (0700),
 * tightening any that exist already; returns `path`. Works for any path inside the state directory.
 */
export async function ensureStateDir(projectDir: string, path: string): Promise<string> {
  const root = stateDir(projectDir);
  if (path !== root && !path.startsWith(`${root}/`)) throw new Error(`${path} is not inside ${root}`);
  await ensurePrivateDir(root);
  let current = root;
  for (const segment of path.slice(root.length).split('/').filter(Boolean)) {
    current = join(current, segment);
    await ensurePrivateDir(current);
  }
  return path;
}

/** Creates a private directory (0700), tightening it if it already exists. */
export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  await chmod(path, 0o700);
}

/** A timestamp for file names that sorts by time and is valid on every filesystem: 2026-11-21T21-45-17-123Z. */
export function fileStamp(date: Date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, '-');
}
