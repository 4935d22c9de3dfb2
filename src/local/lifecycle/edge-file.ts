import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { accessError, usageError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/files.js';
import { commandLine } from '../../util/next-step.js';
import { checkStateFile, statePaths } from '../../util/state-dir.js';

/** Where a fleet project keeps its local edge's state and connection details. */
export function localEdgeDir(projectDir: string): string {
  return statePaths.localEdge(projectDir);
}

export function edgeFilePath(projectDir: string): string {
  return join(localEdgeDir(projectDir), 'edge.json');
}

/** Connection details of a running local edge (written 0600: it holds the edge's token). */
export const EdgeInfoSchema = z.object({
  /** e.g. http://127.0.0.1:8787/client/v4 */
  apiBaseUrl: z.string().url(),
  accountId: z.string().min(1),
  token: z.string().min(1),
  pid: z.number().int(),
  port: z.number().int(),
  /** e.g. http://{name}.localhost:8787 */
  workerUrlTemplate: z.string().includes('{name}'),
  /** For clients that cannot resolve *.localhost: e.g. http://127.0.0.1:8787/__workers/{name} (path prefix stripped). */
  workerPathUrlTemplate: z.string().includes('{name}').optional(),
  /** Admin routes (fault injection, request log, analytics), same bearer token. */
  adminUrl: z.string().url(),
  startedAt: z.string(),
});
export type EdgeInfo = z.infer<typeof EdgeInfoSchema>;

/** Records a running edge; 0600, as the file holds its token. */
export async function writeEdgeInfo(projectDir: string, info: EdgeInfo): Promise<void> {
  await writeFileAtomic(edgeFilePath(projectDir), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
}

export async function removeEdgeFile(projectDir: string): Promise<void> {
  await rm(edgeFilePath(projectDir), { force: true });
}

/** Reads edge.json of a fleet project; a missing or broken file is bad input (exit 2). */
export async function readEdgeInfo(projectDir: string): Promise<EdgeInfo> {
  const path = edgeFilePath(projectDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    // Missing is one thing; there but unreadable (another user's edge) is another, and says so.
    const denied = accessError(error, path, 'read');
    if (denied) throw denied;
    throw usageError(
      `no local edge is recorded for this project (${path} is missing)`,
      `Start one with: ${commandLine('local', 'start', '--detach')}`,
    );
  }
  // edge.json says where the token and every pushed secret go: only this user's own file counts.
  // (Checked after the read, so that a file this user cannot read is said to be unreadable.)
  await checkStateFile(projectDir, path);
  const parsed = EdgeInfoSchema.safeParse(safeJson(text));
  if (!parsed.success) {
    throw usageError(
      `${path} is not a valid local edge file`,
      `Restart the edge: ${commandLine('local', 'stop')} && ${commandLine('local', 'start', '--detach')}`,
    );
  }
  return parsed.data;
}

/**
 * edge.json if present and valid, else undefined. One this user may not read is exit 2: taken for
 * "no edge", it would let `local start` start a second edge and `local stop` report nothing running.
 */
export async function readEdgeInfoIfAny(projectDir: string): Promise<EdgeInfo | undefined> {
  const path = edgeFilePath(projectDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const denied = accessError(error, path, 'read');
    if (denied) throw denied;
    return undefined;
  }
  await checkStateFile(projectDir, path);
  const parsed = EdgeInfoSchema.safeParse(safeJson(text));
  return parsed.success ? parsed.data : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Where the edge serves the Cloudflare API, its admin routes, and workers by path (for clients that cannot resolve *.localhost). */
export const EDGE_PATHS = { api: '/client/v4', admin: '/__edge', workers: '/__workers/' } as const;

/**
 * The URLs an edge listening on 127.0.0.1:`port` serves, and the only ones edge.json may name: a
 * command derives every URL it sends to from the port the edge proved (edge-identity.ts), so that
 * an edited template cannot send a client's key to another listener or another client's worker.
 */
export function edgeUrls(port: number): Pick<EdgeInfo, 'apiBaseUrl' | 'adminUrl' | 'workerUrlTemplate' | 'workerPathUrlTemplate'> {
  return {
    apiBaseUrl: `http://127.0.0.1:${port}${EDGE_PATHS.api}`,
    adminUrl: `http://127.0.0.1:${port}${EDGE_PATHS.admin}`,
    workerUrlTemplate: `http://{name}.localhost:${port}`,
    workerPathUrlTemplate: `http://127.0.0.1:${port}${EDGE_PATHS.workers}{name}`,
  };
}

export function workerUrlFromTemplate(template: string, name: string): string {
  return template.replaceAll('{name}', name);
}
