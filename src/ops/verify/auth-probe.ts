import { probeHeaders } from './probe-agent.js';

/** Every MCP server of either generation answers (or refuses) a 2025-11-25 initialize. */
const PROBE_PROTOCOL_VERSION = '2025-11-25';

export interface KeyProbeOptions {
  /** Per-request timeout in milliseconds. */
  timeoutMs: number;
  /**
   * How the credentials are named in `detail`, e.g. "with a wrong key" or "with beta's key".
   * Default: "without credentials" when no key is given, otherwise "with the key".
   * Never put the key itself here.
   */
  label?: string;
  /** An Origin header to send, as a browser page on that origin would. */
  origin?: string;
}

export interface KeyProbeResult {
  /** The worker answered 2xx: it let these credentials in. */
  accepted: boolean;
  /** The worker answered 401 or 403: it refused these credentials (a timeout or 5xx is neither). */
  refused: boolean;
  /** HTTP status, undefined when no answer arrived (timeout, connection error). */
  status: number | undefined;
  ms: number;
  /** One secret-free sentence, e.g. "POST /mcp with a wrong key answered 401". */
  detail: string;
}

/** `<base>/mcp`, unless the URL already points at the MCP endpoint. */
export function mcpEndpoint(url: string): string {
  const parsed = new URL(url);
  if (!/\/mcp\/?$/.test(parsed.pathname)) parsed.pathname = `${parsed.pathname.replace(/\/+$/, '')}/mcp`;
  return parsed.toString();
}

/**
 * Does the worker at `url` (its base URL, or its /mcp URL) let `key` in? Sends what a real
 * client sends first — an MCP `initialize` POST — so that a server which only checks
 * credentials on some methods is still caught. `key` undefined sends no Authorization header.
 * The key is only ever put in the request header, never in the result.
 */
export async function keyAccepted(url: string, key: string | undefined, options: KeyProbeOptions): Promise<KeyProbeResult> {
  const label = options.label ?? (key === undefined ? 'without credentials' : 'with the key');
  const headers: Record<string, string> = {
    ...probeHeaders(),
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  if (options.origin !== undefined) headers.origin = options.origin;
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: PROBE_PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: 'mcp-fleet-verify', version: '1' },
    },
  });
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  try {
    const response = await fetch(mcpEndpoint(url), {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const ms = elapsed();
    // Only the status matters; an SSE body could stay open, so drop it instead of reading it.
    await response.body?.cancel().catch(() => undefined);
    const status = response.status;
    return {
      accepted: status >= 200 && status < 300,
      refused: status === 401 || status === 403,
      status,
      ms,
      detail: `POST /mcp ${label} answered ${status}`,
    };
  } catch (error) {
    return {
      accepted: false,
      refused: false,
      status: undefined,
      ms: elapsed(),
      detail: `POST /mcp ${label}: ${describeFetchError(error, options.timeoutMs)}`,
    };
  }
}

/** A short reason for a failed fetch: timeout, or the network error code (undici hides it in `cause`). */
export function describeFetchError(error: unknown, timeoutMs: number): string {
  if (isTimeout(error)) return `no answer within ${formatSeconds(timeoutMs)}`;
  const cause = error instanceof Error ? error.cause : undefined;
  if (isTimeout(cause)) return `no answer within ${formatSeconds(timeoutMs)}`;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined;
  const message = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `could not connect (${code}: ${message})` : `could not connect (${message})`;
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || (error.name === 'AbortError' && /timeout/i.test(error.message)));
}

export function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}
