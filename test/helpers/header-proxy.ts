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

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

export async function startHeaderProxy(upstream: string, addHeaders: Record<string, string>): Promise<HeaderProxy> {
  const target = new URL(upstream);
  if (!/^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/.test(target.hostname))
    throw new Error(`the proxy only forwards to loopback, not ${target.host}`);
  const server: Server = createServer((req, res) => {
    const headers: IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
    for (const [name, value] of Object.entries(addHeaders)) headers[name.toLowerCase()] = value;
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
    req.pipe(outbound);
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
