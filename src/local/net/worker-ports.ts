import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/files.js';

/**
 * A loopback origin of its own for a worker: `http://127.0.0.1:<port>`, one listening socket per
 * worker that asks for one, remembered in the edge's state so the URL survives a restart.
 *
 * Why: OAuth (RFC 8252, RFC 9728, and Cloudflare's workers-oauth-provider, which follows them)
 * accepts plain http only on loopback addresses — `localhost`, 127.0.0.0/8, ::1 — and a name
 * such as `acme.localhost` is none of them. A worker that is its own authorization server needs an
 * origin that is both loopback and its own (the origin is its tokens' audience), which a port
 * gives it. Every other worker keeps its `<name>.localhost` URL.
 */

export type WorkerPortHandler = (worker: string, req: IncomingMessage, res: ServerResponse, expectsContinue: boolean) => void;

const FILE = 'worker-ports.json';

export class WorkerPorts {
  private readonly servers = new Map<string, Server>();
  private readonly ports = new Map<string, number>();

  private constructor(
    private readonly stateDir: string,
    private readonly handler: WorkerPortHandler,
    private readonly beforeWrite: () => void,
  ) {}

  /** Opens the ports remembered from earlier runs, so the workers answer where hosts were told they do. */
  static async open(stateDir: string, handler: WorkerPortHandler, beforeWrite: () => void = () => undefined): Promise<WorkerPorts> {
    const ports = new WorkerPorts(stateDir, handler, beforeWrite);
    const remembered = await readFile(join(stateDir, FILE), 'utf8')
      .then((text) => JSON.parse(text) as Record<string, unknown>)
      .catch(() => ({}) as Record<string, unknown>);
    for (const [worker, port] of Object.entries(remembered))
      if (typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65_536) ports.ports.set(worker, port);
    for (const worker of [...ports.ports.keys()]) await ports.listen(worker);
    return ports;
  }

  /** The worker's own origin, opening its port the first time. */
  async originOf(worker: string): Promise<string> {
    if (!this.servers.has(worker)) await this.listen(worker);
    return `http://127.0.0.1:${this.ports.get(worker)}`;
  }

  /** The origin of a worker that has one already, without opening any. */
  knownOrigin(worker: string): string | undefined {
    return this.servers.has(worker) ? `http://127.0.0.1:${this.ports.get(worker)}` : undefined;
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.servers.values()].map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
    this.servers.clear();
  }

  private async listen(worker: string): Promise<void> {
    const server = createServer((req, res) => this.handler(worker, req, res, false));
    server.on('checkContinue', (req, res) => this.handler(worker, req, res, true));
    server.keepAliveTimeout = 5_000;
    const wanted = this.ports.get(worker) ?? 0;
    let port: number;
    try {
      port = await bind(server, wanted);
    } catch {
      // The remembered port is taken by something else now: the worker gets another one.
      port = await bind(server, 0);
    }
    this.servers.set(worker, server);
    if (this.ports.get(worker) === port) return;
    this.ports.set(worker, port);
    this.beforeWrite();
    await writeFileAtomic(join(this.stateDir, FILE), `${JSON.stringify(Object.fromEntries(this.ports), null, 2)}\n`, { mode: 0o600 });
  }
}

function bind(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    server.once('error', failed);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', failed);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
