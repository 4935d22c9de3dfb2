import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ExitCode, FleetError } from '../../util/errors.js';
import { localhostResolverPath } from '../../util/localhost-resolver.js';
import { isAlive } from '../../util/process-alive.js';
import { ensureStateDir } from '../../util/state-dir.js';
import type { WorkerSummary } from '../runtime/worker-summary.js';
import { type EdgeInfo, localEdgeDir, readEdgeInfoIfAny, removeEdgeFile } from './edge-file.js';
import { verifyEdge } from './edge-identity.js';
import { stopOrphanedWorkerd } from './orphans.js';

/** Managing an edge that runs as its own process: start detached, look at it, stop it. */

/** Set in the detached edge's environment: it then keeps its token out of edge.log. */
export const DETACHED_ENV = 'MCP_FLEET_EDGE_DETACHED';

export function edgeLogPath(projectDir: string): string {
  return join(localEdgeDir(projectDir), 'edge.log');
}

/** `stale`: edge.json names a process that is gone, or a listener that cannot prove it is the edge (edge-identity.ts). */
export type EdgeStatus =
  | { running: true; stale: false; info: EdgeInfo; workers?: WorkerSummary[] }
  | { running: false; stale: boolean; info?: EdgeInfo };

/** Whether the recorded edge runs and proves it is the edge; the token is sent (for the worker list) only then. */
export async function edgeStatus(projectDir: string): Promise<EdgeStatus> {
  const info = await readEdgeInfoIfAny(projectDir);
  if (!info) return { running: false, stale: false };
  if (await verifyEdge(info)) return { running: false, stale: true, info };
  const workers = await adminGet<WorkerSummary[]>(info, '/workers').catch(() => undefined);
  return { running: true, stale: false, info, ...(workers ? { workers } : {}) };
}

export async function adminGet<T>(info: EdgeInfo, path: string): Promise<T> {
  const response = await fetch(`${info.adminUrl}${path}`, {
    headers: { authorization: `Bearer ${info.token}` },
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json()) as { success: boolean; result: T; errors?: Array<{ message: string }> };
  if (!body.success) throw new FleetError(`the local edge answered ${response.status}: ${body.errors?.[0]?.message ?? 'error'}`);
  return body.result;
}

export interface DetachOptions {
  projectDir: string;
  /** Arguments for `mcp-fleet local start` (without --detach). */
  startArgs: string[];
  timeoutMs?: number;
}

/**
 * Starts `mcp-fleet local start …` as a detached process logging to .mcp-fleet/local/edge.log and
 * returns once it has written edge.json and answers its health check.
 */
export async function startDetached(options: DetachOptions): Promise<EdgeInfo> {
  await ensureStateDir(options.projectDir, localEdgeDir(options.projectDir));
  const logPath = edgeLogPath(options.projectDir);
  // Not through a link: the log would be appended wherever it points.
  const log = await open(logPath, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  const bin = fileURLToPath(new URL('../bin/mcp-fleet.js', import.meta.url));
  const child = spawn(process.execPath, [bin, '--cwd', options.projectDir, 'local', 'start', ...options.startArgs], {
    cwd: options.projectDir,
    detached: true,
    stdio: ['ignore', log.fd, log.fd],
    env: { ...process.env, NO_COLOR: '1', [DETACHED_ENV]: '1' },
  });
  await log.close();
  const pid = child.pid;
  if (pid === undefined) throw new FleetError('could not start the local edge process');
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code ?? 1;
  });
  child.unref();

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      const tail = await logTail(logPath);
      throw new FleetError(`the local edge exited during start (code ${exited})${tail ? `:\n${tail}` : ''}`, {
        exitCode: exited === ExitCode.usage ? ExitCode.usage : ExitCode.failed,
        hint: `See ${logPath}`,
      });
    }
    const info = await readEdgeInfoIfAny(options.projectDir);
    if (info && info.pid === pid && !(await verifyEdge(info, 1_000))) return info;
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
  throw new FleetError('the local edge did not become ready in time', { hint: `See ${logPath}` });
}

export type StopOutcome = { kind: 'stopped'; pid: number } | { kind: 'not-running'; removedStale: boolean; orphansStopped: number };

/** Stops the recorded edge (SIGTERM, then waits for it to exit) and removes edge.json. */
export async function stopEdge(projectDir: string, timeoutMs = 20_000): Promise<StopOutcome> {
  const info = await readEdgeInfoIfAny(projectDir);
  if (!info) return { kind: 'not-running', removedStale: false, orphansStopped: 0 };
  // Only signal a process that proves to be this edge (a recorded pid may have been reused).
  if (await verifyEdge(info)) {
    const orphansStopped = isAlive(info.pid) ? 0 : await stopOrphanedWorkerd(info.pid);
    await removeEdgeFile(projectDir);
    return { kind: 'not-running', removedStale: true, orphansStopped };
  }
  process.kill(info.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(info.pid)) {
    if (Date.now() > deadline)
      throw new FleetError(`the local edge (pid ${info.pid}) did not stop within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(100);
  }
  await removeEdgeFile(projectDir);
  return { kind: 'stopped', pid: info.pid };
}

/**
 * The environment that points shell tools at the edge (named, so that `local env --json` declares
 * each variable), and keeps the wrangler they run there from phoning Cloudflare: no usage metrics,
 * no error reports (wrangler's own variables).
 */
export type EdgeEnv = {
  CLOUDFLARE_API_BASE_URL: string;
  CLOUDFLARE_BASE_URL: string;
  CLOUDFLARE_API_TOKEN: string;
  CLOUDFLARE_ACCOUNT_ID: string;
  WRANGLER_SEND_METRICS: 'false';
  WRANGLER_SEND_ERROR_REPORTS: 'false';
};

export function edgeEnv(info: EdgeInfo): EdgeEnv {
  return {
    CLOUDFLARE_API_BASE_URL: info.apiBaseUrl,
    CLOUDFLARE_BASE_URL: info.apiBaseUrl,
    CLOUDFLARE_API_TOKEN: info.token,
    CLOUDFLARE_ACCOUNT_ID: info.accountId,
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_SEND_ERROR_REPORTS: 'false',
  };
}

/** How a Node program (e.g. the MCP Inspector) reaches http://<worker>.localhost:<port>. */
export function nodeResolverHint(): { nodeImport: string; nodeOptions: string } {
  const path = localhostResolverPath();
  return { nodeImport: path, nodeOptions: `--import ${path}` };
}

async function logTail(path: string, lines = 15): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
