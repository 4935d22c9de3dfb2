import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FleetError, usageError } from '../../util/errors.js';
import { commandLine } from '../../util/next-step.js';
import { isAlive } from '../../util/process-alive.js';
import { ensureStateDir, statePaths } from '../../util/state-dir.js';
import type { KvStorage } from '../kv/kv-storage.js';
import type { Runtime, WorkerLog } from '../runtime/runtime.js';
import type { TailHub } from '../runtime/tail-hub.js';
import { type EdgeInfo, readEdgeInfoIfAny, removeEdgeFile, writeEdgeInfo } from './edge-file.js';
import { stopOrphanedWorkerd } from './orphans.js';

/**
 * An edge's start and stop. One edge per project: a second one is refused while the first lives.
 * The port is taken before workerd starts, so a busy port fails fast; edge.json is written only
 * once the deployed workers run, so whoever reads it finds an edge that answers; and stop removes
 * edge.json only while it still names this edge (a newer edge may have replaced it).
 */

/**
 * Makes `.mcp-fleet/local/` (0700) and refuses to start beside a live edge of the same project; the
 * workerd a killed predecessor may have left running is stopped.
 */
export async function claimProject(projectDir: string): Promise<void> {
  await ensureStateDir(projectDir, statePaths.localEdge(projectDir));
  const existing = await refuseBesideLiveEdge(projectDir);
  if (existing && existing.pid !== process.pid) await stopOrphanedWorkerd(existing.pid);
}

/**
 * Refuses (exit 2) while another process's edge of this project lives, naming it and how to stop
 * it; returns what edge.json records otherwise. `local start` asks first, so that the refusal is
 * all it prints, with or without --detach.
 */
export async function refuseBesideLiveEdge(projectDir: string): Promise<EdgeInfo | undefined> {
  const existing = await readEdgeInfoIfAny(projectDir);
  if (existing && existing.pid !== process.pid && isAlive(existing.pid)) {
    throw usageError(
      `a local edge is already running for this project (pid ${existing.pid}, ${existing.apiBaseUrl})`,
      `Stop it first: ${commandLine('local', 'stop')}`,
    );
  }
  return existing;
}

/**
 * Listens on 127.0.0.1 and returns the port. 0 picks a free port; so does a taken port when
 * `orAnyFree` (the default port, which `wrangler dev` uses too, was not asked for by name). A port
 * asked for by name that is busy or forbidden is bad usage.
 */
export async function listenOnLoopback(server: Server, port: number, orAnyFree = false): Promise<number> {
  try {
    return await listenOnce(server, port);
  } catch (error) {
    if (!orAnyFree || port === 0 || !(error instanceof FleetError)) throw error;
    return listenOnce(server, 0);
  }
}

async function listenOnce(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') {
        reject(usageError(`port ${port} is already in use`, 'Pass another port with --port N (or --port 0 for any free port).'));
      } else if (error.code === 'EACCES') {
        reject(usageError(`port ${port} cannot be used (permission denied)`, 'Pass a port above 1024 with --port N.'));
      } else reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, '127.0.0.1');
  });
  return (server.address() as AddressInfo).port;
}

export interface LiveEdge {
  projectDir: string;
  info: EdgeInfo;
  server: Server;
  runtime: Runtime;
  /** Stopped after the runtime: it owns the KV storage the workers' processes use. */
  kvStorage?: KvStorage;
  /** The workers' own loopback ports (net/worker-ports.ts). */
  ports?: { close(): Promise<void> };
  tails: TailHub;
  onLog?: (log: WorkerLog) => void;
}

/** Starts the workers deployed before (they answer again at once), then writes edge.json; on failure undoes the start. */
export async function goLive(edge: LiveEdge): Promise<void> {
  try {
    const initial = await edge.runtime.sync();
    for (const [name, message] of Object.entries(initial.failures)) {
      edge.onLog?.({ level: 'error', worker: name, message: `worker "${name}" failed to start: ${message}` });
    }
    await writeEdgeInfo(edge.projectDir, edge.info);
  } catch (error) {
    edge.tails.closeAll();
    edge.server.closeAllConnections();
    edge.server.close();
    await edge.ports?.close().catch(() => undefined);
    await edge.runtime.dispose().catch(() => undefined);
    await edge.kvStorage?.dispose().catch(() => undefined);
    throw error instanceof FleetError
      ? error
      : new FleetError(`the local edge could not start workerd: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
  }
}

/** Closes the listener and every connection, stops workerd, and removes edge.json if it still names this edge. */
export async function shutDown(edge: LiveEdge): Promise<void> {
  // Tail sockets were upgraded out of the server's hands: closeAllConnections does not reach them.
  edge.tails.closeAll();
  await new Promise<void>((resolve) => {
    edge.server.close(() => resolve());
    edge.server.closeAllConnections();
  });
  await edge.ports?.close().catch(() => undefined);
  await edge.runtime.dispose().catch(() => undefined);
  await edge.kvStorage?.dispose().catch(() => undefined);
  // A record that can no longer be read or trusted is not this edge's to remove.
  const recorded = await readEdgeInfoIfAny(edge.projectDir).catch(() => undefined);
  if (recorded && recorded.pid === edge.info.pid && recorded.port === edge.info.port) await removeEdgeFile(edge.projectDir);
}
