import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { CfCode, fail } from '../net/envelope.js';
import { writeApi } from '../net/http-bridge.js';
import type { Runtime } from './runtime.js';
import { TrafficSplitter } from './traffic-split.js';

/**
 * Worker traffic: a request for a worker goes to that worker's own loopback socket in workerd, and
 * the answer comes back as it is produced (server-sent events stream; nothing is buffered).
 *
 * A request body is held back until workerd asks for it (Expect: 100-continue, which workerd
 * answers once the worker starts reading the body). A worker that answers without reading (a 401
 * before a 5 MB upload, a 413) gets its answer through as it gave it: workerd closes the connection
 * after such an answer, and a body already being pushed at it would end in EPIPE and a 502 instead.
 * The client's unread body is then read and dropped here, so that the client can finish sending it
 * and read the answer.
 */

/** Names the worker a request is for, when neither its Host nor its path can (the edge drops it before proxying). */
export const WORKER_HEADER = 'x-mcp-fleet-worker';

/** Where a worker request goes: the worker, the path and query it sees, and the Host it sees. */
export interface WorkerTarget {
  name: string;
  pathAndQuery: string;
  host: string;
}

/**
 * `clientExpectsContinue`: the client itself sent Expect: 100-continue (curl does for large bodies),
 * so it waits for a 100 from the edge, which is passed on only when workerd gives one.
 */
export type WorkerProxy = (
  target: WorkerTarget,
  req: IncomingMessage,
  res: ServerResponse,
  clientExpectsContinue?: boolean,
) => Promise<void>;

export function createWorkerProxy(runtime: Pick<Runtime, 'idle' | 'workerOrigin' | 'sharesOf'>): WorkerProxy {
  const splitter = new TrafficSplitter();
  return async ({ name, pathAndQuery, host }, req, res, clientExpectsContinue = false) => {
    // A worker being restarted answers once it runs again, not with a 404 in between.
    await runtime.idle(name);
    // A gradual deployment runs two versions: the request goes to one of them by the deployment's percentages.
    const shares = runtime.sharesOf(name);
    const instance = shares ? splitter.choose(name, shares, req.headers) : undefined;
    const origin = instance === undefined ? undefined : runtime.workerOrigin(instance);
    if (!origin) {
      req.resume();
      writeApi(res, fail(404, CfCode.scriptNotFound, `No worker named "${name}" is deployed on this local edge`));
      return;
    }
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, host };
    delete headers[WORKER_HEADER];
    const hasBody = hasRequestBody(req);
    if (hasBody) headers.expect = '100-continue';
    else delete headers.expect;
    const upstream = httpRequest({
      host: origin.hostname,
      port: origin.port,
      method: req.method,
      path: pathAndQuery,
      headers,
      agent: false,
    });
    let bodyForwarded = false;
    let answer: IncomingMessage | undefined;
    upstream.on('continue', () => {
      if (answer || bodyForwarded) return;
      bodyForwarded = true;
      if (clientExpectsContinue) res.writeContinue();
      req.pipe(upstream);
    });
    upstream.on('response', (incoming) => {
      answer = incoming;
      // Answered before asking for the body: the body is not the worker's any more; drop it.
      if (hasBody && !bodyForwarded) req.resume();
      res.writeHead(incoming.statusCode ?? 502, incoming.statusMessage, incoming.rawHeaders);
      res.flushHeaders();
      incoming.pipe(res);
      incoming.on('error', () => res.destroy());
      incoming.on('end', () => {
        if (!bodyForwarded) upstream.destroy();
      });
    });
    upstream.on('error', (error) => {
      if (answer?.complete) return;
      if (!res.headersSent) writeApi(res, fail(502, CfCode.internal, `Worker "${name}" did not answer: ${error.message}`));
      else res.destroy();
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    if (hasBody) upstream.flushHeaders();
    else {
      req.resume();
      upstream.end();
    }
  };
}

function hasRequestBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}
