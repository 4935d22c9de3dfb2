import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A reverse proxy on 127.0.0.1 that adds headers to every request before passing it on, for
 * clients that cannot send them (the conformance suite has no way to send Authorization).
 * Everything else, Origin and Host included, reaches the upstream as the client sent it; the
 * upstream response (SSE included) streams back unchanged.
 */
export interface HeaderProxy {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface HeaderProxyOptions {
  /**
   * tools/call requests for a tool named like a key are sent for the tool named by its value
   * (body and Mcp-Name header), so a suite that calls a fixed diagnostic tool name exercises a
   * real tool that behaves the way the suite checks.
   */
  renameTools?: Record<string, string>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

export async function startHeaderProxy(
  upstream: string,
  addHeaders: Record<string, string>,
  options: HeaderProxyOptions = {},
): Promise<HeaderProxy> {
  const target = new URL(upstream);
  if (!/^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/.test(target.hostname))
    throw new Error(`the proxy only forwards to loopback, not ${target.host}`);
  const renames = options.renameTools ?? {};
  const server: Server = createServer(async (req, res) => {
    const headers: IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
    for (const [name, value] of Object.entries(addHeaders)) headers[name.toLowerCase()] = value;
    let body: Buffer | undefined;
    if (req.method === 'POST' && Object.keys(renames).length > 0) {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      body = renameTool(Buffer.concat(chunks), headers, renames);
      headers['content-length'] = String(body.length);
    }
    const outbound = httpRequest(
      { host: target.hostname.replace(/^\[|\]$/g, ''), port: target.port, method: req.method, path: req.url, headers },
      (upstreamRes) => {
        const back: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(upstreamRes.headers))
          if (value !== undefined && !HOP_BY_HOP.has(name)) back[name] = value;
        res.writeHead(upstreamRes.statusCode ?? 502, back);
        upstreamRes.pipe(res);
      },
    );
    outbound.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('proxy: upstream unreachable');
    });
    if (body === undefined) req.pipe(outbound);
    else outbound.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function renameTool(raw: Buffer, headers: IncomingHttpHeaders, renames: Record<string, string>): Buffer {
  let message: unknown;
  try {
    message = JSON.parse(raw.toString('utf8'));
  } catch {
    return raw;
  }
  if (typeof message !== 'object' || message === null || !('method' in message) || message.method !== 'tools/call') return raw;
  const params = 'params' in message ? message.params : undefined;
  if (typeof params !== 'object' || params === null || !('name' in params) || typeof params.name !== 'string') return raw;
  const renamed = renames[params.name];
  if (renamed === undefined) return raw;
  if (headers['mcp-name'] !== undefined) headers['mcp-name'] = renamed;
  return Buffer.from(JSON.stringify({ ...message, params: { ...params, name: renamed } }));
}
