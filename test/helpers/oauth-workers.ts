import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { convertV4MiniflareOptions, Miniflare, Response as MiniflareResponse } from 'miniflare';
import { codeHash } from '../../src/ops/identity/users.js';
import { linkNodeModules, tempDir } from './cli.js';
import { bundleProject, scaffoldTemplateProject, TEST_COMPATIBILITY_DATE } from './template.js';

/**
 * The scaffolded template, bundled as a deploy would bundle it, running in Miniflare as the workers
 * an OAuth test needs, each with its own OAUTH_KV. Outbound fetches go through a Node handler:
 * the provider reads a client metadata document only from an https URL, so the https URL of
 * `cimd` is answered from a plain-http loopback server; everything else (the test IdP) passes.
 */

export interface OAuthWorkerSpec {
  name: string;
  vars: Record<string, string>;
}

export interface OAuthWorkers {
  mf: Miniflare;
  url(name: string): string;
  kv(name: string): Promise<KvView>;
  /** The client_id (an https URL) of a metadata document this host serves. */
  cimdUrl: string;
  setCimdDocument(document: Record<string, unknown>): void;
  logs: string[];
  close(): Promise<void>;
}

/** What a test does with a worker's OAUTH_KV: what the CLI does (invite, list, revoke). */
export interface KvView {
  get(key: string): Promise<string | null>;
  put(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
  /** When a key expires (seconds since the epoch), as KV reports it; undefined for a key that does not. */
  expiration(key: string): Promise<number | undefined>;
}

interface MiniflareKv {
  get(key: string): Promise<string | null>;
  put(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  list(options: { prefix: string }): Promise<{ keys: { name: string; expiration?: number }[] }>;
}

/** The key `mcp-fleet users invite` writes for a code: the worker must find it under the same one. */
export function inviteKey(code: string): string {
  return `invite:${codeHash(code)}`;
}

export function newCode(): string {
  return randomBytes(9).toString('base64url');
}

export async function startOAuthWorkers(specs: OAuthWorkerSpec[]): Promise<OAuthWorkers> {
  const tmp = await tempDir('mcp-fleet-oauth-');
  const project = join(tmp.dir, 'project');
  await scaffoldTemplateProject(project, 'oauth-test');
  await linkNodeModules(project);
  const outdir = join(tmp.dir, 'out');
  const bundle = await bundleProject(project, outdir);
  if (bundle.exitCode !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${bundle.output}`);

  let cimdDocument: Record<string, unknown> = {};
  const cimd: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(cimdDocument));
  });
  await new Promise<void>((resolve) => cimd.listen(0, '127.0.0.1', resolve));
  const cimdHost = `127.0.0.1:${(cimd.address() as AddressInfo).port}`;

  const outbound = async (request: Request): Promise<MiniflareResponse> => {
    const url = new URL(request.url);
    if (url.protocol === 'https:' && url.host === cimdHost) url.protocol = 'http:';
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
    const response = await fetch(url, {
      method: request.method,
      headers: Object.fromEntries(request.headers),
      body: hasBody ? await request.arrayBuffer() : undefined,
      redirect: 'manual',
    });
    return new MiniflareResponse(await response.arrayBuffer(), { status: response.status, headers: Object.fromEntries(response.headers) });
  };

  const logs: string[] = [];
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      handleStructuredLogs: (log) => logs.push(`${log.level}: ${log.message}`),
      workers: specs.map((spec) => ({
        name: spec.name,
        compatibilityDate: TEST_COMPATIBILITY_DATE,
        // What the template's wrangler.jsonc sets; without it the provider turns client metadata documents off.
        compatibilityFlags: ['global_fetch_strictly_public'],
        modulesRoot: outdir,
        modules: [{ type: 'ESModule', path: bundle.entry }],
        bindings: spec.vars,
        kvNamespaces: { OAUTH_KV: `${spec.name}-identity` },
        outboundService: outbound,
        unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
      })),
    }),
  );
  await mf.ready;
  const urls = new Map<string, string>();
  for (const spec of specs) urls.set(spec.name, (await mf.unsafeGetDirectURL(spec.name)).origin);

  return {
    mf,
    url(name) {
      const url = urls.get(name);
      if (!url) throw new Error(`no worker ${name}`);
      return url;
    },
    async kv(name) {
      // Miniflare types the binding with workers types this (Node) project does not load.
      const ns = (await mf.getKVNamespace('OAUTH_KV', name)) as unknown as MiniflareKv;
      return {
        get: (key) => ns.get(key),
        put: (key, value) => ns.put(key, value),
        delete: (key) => ns.delete(key),
        async list(prefix) {
          return (await ns.list({ prefix })).keys.map((key) => key.name);
        },
        async expiration(key) {
          return (await ns.list({ prefix: key })).keys.find((entry) => entry.name === key)?.expiration;
        },
      };
    },
    cimdUrl: `https://${cimdHost}/client.json`,
    setCimdDocument(document) {
      cimdDocument = document;
    },
    logs,
    async close() {
      await mf.dispose();
      cimd.closeAllConnections();
      await new Promise<void>((resolve) => cimd.close(() => resolve()));
      await tmp.cleanup();
    },
  };
}

export type Generation = 'modern' | 'legacy';

/** whoami over MCP with a bearer credential, as a host of either generation calls it. */
export async function whoami(origin: string, bearer: string, generation: Generation): Promise<unknown> {
  const client = new Client(
    { name: 'oauth-test', version: '0.0.0' },
    { versionNegotiation: { mode: generation === 'modern' ? { pin: '2026-07-28' } : 'legacy' } },
  );
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', origin), {
    requestInit: { headers: { Authorization: `Bearer ${bearer}` } },
  });
  await client.connect(transport);
  try {
    return (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent;
  } finally {
    await client.close();
  }
}
