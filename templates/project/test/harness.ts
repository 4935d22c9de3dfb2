import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Miniflare } from 'miniflare';
import { projectRoot, wranglerEnv, wranglerPath } from '../scripts/wrangler.js';

/**
 * Runs the worker the way Cloudflare does, in workerd (through Miniflare), built the way a
 * deploy builds it (`wrangler deploy --dry-run`: the very bundle mcp-fleet uploads). Each test
 * client is its own worker with its own vars and secrets, as each client is in production.
 */

export interface TestClient {
  name: string;
  /** What its env section's `vars` would hold; CLIENT_ID is the name. */
  vars?: Record<string, string>;
  /** What `mcp-fleet secrets push` would send. */
  secrets: Record<string, string>;
}

export interface Workers {
  url(client: string, path: string): URL;
  /** Everything the workers logged. */
  logs: string[];
  dispose(): Promise<void>;
}

/** The keys of .secrets.template: the secrets every client's worker requires. */
export async function requiredSecrets(): Promise<string[]> {
  const text = await readFile(join(projectRoot, '.secrets.template'), 'utf8');
  return [...text.matchAll(/^\s*(?:export\s+)?([A-Za-z_]\w*)\s*=/gm)].map((match) => match[1] as string);
}

export async function startWorkers(clients: TestClient[]): Promise<Workers> {
  const out = await mkdtemp(join(tmpdir(), 'worker-test-'));
  try {
    await promisify(execFile)(process.execPath, [wranglerPath(), 'deploy', '--dry-run', '--outdir', out], {
      cwd: projectRoot,
      env: wranglerEnv({ CI: '1', NO_COLOR: '1', WRANGLER_HIDE_BANNER: 'true' }),
    });
    const bundle = new Uint8Array(await readFile(join(out, 'index.js')));
    const config = await readFile(join(projectRoot, 'wrangler.jsonc'), 'utf8');
    const compatibilityDate = /"compatibility_date":\s*"([^"]+)"/.exec(config)?.[1] ?? '';
    const logs: string[] = [];
    const mf = new Miniflare({
      handleStructuredLogs: (log) => logs.push(`${log.level}: ${log.message}`),
      workers: clients.map((client) => ({
        config: {
          name: client.name,
          compatibilityDate,
          manifest: { mainModule: 'index.js', modules: { 'index.js': { type: 'esm', contents: bundle } } },
          env: Object.fromEntries(
            Object.entries({ CLIENT_ID: client.name, ...client.vars, ...client.secrets }).map(([name, value]) => [
              name,
              { type: 'text', value },
            ]),
          ),
        },
        // A loopback port per worker, so Node's fetch (and the MCP client) can reach each one.
        dev: { unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }] },
      })),
    });
    await mf.ready;
    const urls = new Map<string, URL>();
    for (const client of clients) urls.set(client.name, await mf.unsafeGetDirectURL(client.name));
    return {
      url(client, path) {
        const base = urls.get(client);
        if (base === undefined) throw new Error(`no test client ${client}`);
        return new URL(path, base);
      },
      logs,
      dispose: () => mf.dispose(),
    };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** An MCP session as a host opens one: Streamable HTTP to /mcp with the client's key. */
export async function connect(workers: Workers, client: string, apiKey: string): Promise<Client> {
  const mcp = new Client({ name: 'worker-test', version: '0.0.0' });
  await mcp.connect(
    new StreamableHTTPClientTransport(workers.url(client, '/mcp'), { requestInit: { headers: { authorization: `Bearer ${apiKey}` } } }),
  );
  return mcp;
}

export interface Upstream {
  url: string;
  /** Every request it got: path and headers. */
  hits: { path: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/** A client's upstream API on loopback: answers JSON naming the path it was asked for. */
export async function startUpstream(): Promise<Upstream> {
  const hits: Upstream['hits'] = [];
  const server = createServer((request, response) => {
    hits.push({ path: request.url ?? '', headers: request.headers });
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: request.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
