import { lookup as dnsLookup } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { type Request as MiniflareRequest, Response as MiniflareResponse } from 'miniflare';
import { type AddressClass, BLOCKED_CODE, classifyHost, guardedLookup, type Resolver, reachable } from './address-class.js';

/**
 * Every subrequest a worker makes (its global fetch) leaves through here instead of straight from
 * workerd, so that the rules of address-class.ts hold: the host's loopback and private networks are
 * out of reach, as they are from Cloudflare. A refused subrequest gets the answer Cloudflare gives
 * (403, "error code: 1003" for an address, 1000 for a name that resolves to one) and the edge logs
 * it; an origin that cannot be reached gets Cloudflare's 52x answers. Redirects are not followed
 * here: workerd follows them, and each hop comes through here again.
 */

export interface BlockedFetch {
  worker: string;
  /** scheme://host:port only: a path or query may carry a credential. */
  target: string;
  addressClass: AddressClass | 'name';
}

export interface EgressOptions {
  /** Let workers reach 127.0.0.1 / localhost (a mock upstream on this machine); private networks stay out of reach. */
  allowLoopback: boolean;
  onBlocked?: (blocked: BlockedFetch) => void;
}

export type EgressHandler = (request: MiniflareRequest) => Promise<MiniflareResponse>;

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);
/** Cloudflare's limit on waiting for an origin. */
const ORIGIN_TIMEOUT_MS = 100_000;

export function createEgress(options: EgressOptions): (worker: string) => EgressHandler {
  const allow = (addressClass: AddressClass) => reachable(addressClass, options);
  const lookup = guardedLookup(allow, dnsLookup as unknown as Resolver);
  return (worker) => async (request) => {
    const url = new URL(request.url);
    const target = `${url.protocol}//${url.host}`;
    const hostClass = classifyHost(url.hostname);
    if (hostClass !== 'name' && !allow(hostClass)) {
      options.onBlocked?.({ worker, target, addressClass: hostClass });
      return refused(1003, `${url.host} is a ${hostClass} address`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return refused(1003, `${url.protocol} is not http or https`);
    try {
      return await forward(request, url, lookup);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === BLOCKED_CODE) {
        options.onBlocked?.({ worker, target, addressClass: 'name' });
        return refused(1000, (error as Error).message);
      }
      return originError(code);
    }
  };
}

function forward(request: MiniflareRequest, url: URL, lookup: ReturnType<typeof guardedLookup>): Promise<MiniflareResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of request.headers) if (!HOP_BY_HOP.has(name)) headers[name] = value;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const outgoing = send(url, { method: request.method, headers, lookup, agent: false });
    outgoing.setTimeout(ORIGIN_TIMEOUT_MS, () => outgoing.destroy(Object.assign(new Error('origin timed out'), { code: 'ETIMEDOUT' })));
    outgoing.on('error', reject);
    outgoing.on('response', (incoming: IncomingMessage) => {
      const status = incoming.statusCode ?? 502;
      const responseHeaders = new Headers();
      for (let i = 0; i + 1 < incoming.rawHeaders.length; i += 2) {
        const name = incoming.rawHeaders[i] as string;
        if (!HOP_BY_HOP.has(name.toLowerCase())) responseHeaders.append(name, incoming.rawHeaders[i + 1] as string);
      }
      const empty = request.method === 'HEAD' || [101, 204, 205, 304].includes(status);
      if (empty) incoming.resume();
      const body = empty ? null : (Readable.toWeb(incoming) as unknown as ReadableStream<Uint8Array>);
      resolve(new MiniflareResponse(body as never, { status, statusText: incoming.statusMessage, headers: [...responseHeaders] }));
    });
    if (request.body) Readable.fromWeb(request.body as unknown as NodeReadableStream<Uint8Array>).pipe(outgoing);
    else outgoing.end();
  });
}

function refused(code: 1000 | 1003, why: string): MiniflareResponse {
  return new MiniflareResponse(
    `error code: ${code} — the local edge, like Cloudflare, does not let workers reach loopback or private addresses (${why})\n`,
    { status: 403, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-mcp-fleet-egress': 'blocked' } },
  );
}

/** Cloudflare's answers for an origin it cannot use: 521 refused, 522 timed out, 523 unreachable, 530 DNS, 526 TLS, 520 the rest. */
function originError(code: string | undefined): MiniflareResponse {
  const status =
    code === 'ECONNREFUSED'
      ? 521
      : code === 'ETIMEDOUT'
        ? 522
        : code === 'EHOSTUNREACH' || code === 'ENETUNREACH'
          ? 523
          : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
            ? 530
            : code?.startsWith('CERT_') || code?.includes('CERT') || code?.includes('SELF_SIGNED')
              ? 526
              : 520;
  return new MiniflareResponse(`error code: ${status}${code ? ` (${code})` : ''}\n`, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'x-mcp-fleet-egress': 'origin-error' },
  });
}
