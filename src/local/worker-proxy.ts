import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { CfCode, fail } from './envelope.js';
import { writeApi } from './http-bridge.js';
import type { Runtime } from './runtime.js';

/**
 * Worker traffic: a request for a worker goes to that worker's own loopback socket in workerd, and
 * the answer comes back as it is produced (server-sent events stream; nothing is buffered).
 */

/** Names the worker a request is for, when neither its Host nor its path can (the edge drops it before proxying). */
export const WORKER_HEADER = 'x-mcp-fleet-worker';

/** Where a worker request goes: the worker, the path and query it sees, and the Host it sees. */
export interface WorkerTarget {
  name: string;
  pathAndQuery: string;
  host: string;
}

export type WorkerProxy = (target: WorkerTarget, req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function createWorkerProxy(runtime: Pick<Runtime, 'idle' | 'workerOrigin'>): WorkerProxy {
  return async ({ name, pathAndQuery, host }, req, res) => {
    // A worker being restarted answers once it runs again, not with a 404 in between.
    await runtime.idle(name);
    const origin = runtime.workerOrigin(name);
    if (!origin) {
      req.resume();
      writeApi(res, fail(404, CfCode.scriptNotFound, `No worker named "${name}" is deployed on this local edge`));
      return;
    }
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, host };
    delete headers[WORKER_HEADER];
    const upstream = httpRequest({
      host: origin.hostname,
      port: origin.port,
      method: req.method,
      path: pathAndQuery,
      headers,
      agent: false,
    });
    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
      res.flushHeaders();
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', (error) => {
      if (!res.headersSent) writeApi(res, fail(502, CfCode.internal, `Worker "${name}" did not answer: ${error.message}`));
      else res.destroy();
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  };
}
