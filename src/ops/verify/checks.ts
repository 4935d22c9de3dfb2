import { describeFetchError, formatSeconds, type KeyProbeResult, keyAccepted } from './auth-probe.js';
import { probeHeaders } from './probe-agent.js';

export const CHECK_NAMES = ['health', 'ready', 'auth', 'origin', 'mcp', 'identity', 'isolation', 'jwt', 'oauth', 'sign-in'] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface CheckResult {
  name: CheckName;
  ok: boolean;
  /** Latency of the check (wall time of its requests). */
  ms: number;
  /** Why it passed or failed, in one secret-free sentence. */
  detail: string;
  /** True when the check could not be run (it then counts as passed only if `ok`). */
  skipped?: boolean;
  /**
   * True when the check found a problem that this run does not require (it then counts as
   * passed): Origin validation under `--protocol legacy`, which 2025-template workers lack.
   */
  advisory?: boolean;
}

export interface HttpOptions {
  timeoutMs: number;
}

/** Bodies of /health and /ready are small; anything bigger is cut, not buffered. */
const MAX_BODY_CHARS = 64 * 1024;

interface GetResult {
  status: number;
  contentType: string;
  text: string;
  location: string | undefined;
  ms: number;
}

async function get(url: string, path: string, options: HttpOptions): Promise<GetResult | { error: string; ms: number }> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  try {
    const response = await fetch(joinPath(url, path), {
      headers: { ...probeHeaders(), accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    // The timeout signal also covers the body, so a worker that sends headers and then stalls is caught too.
    const text = (await response.text()).slice(0, MAX_BODY_CHARS);
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      text,
      location: response.headers.get('location') ?? undefined,
      ms: elapsed(),
    };
  } catch (error) {
    return { error: describeFetchError(error, options.timeoutMs), ms: elapsed() };
  }
}

export function joinPath(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function mediaType(contentType: string): string {
  return contentType.split(';')[0]?.trim().toLowerCase() || '(no content type)';
}

function statusPhrase(result: GetResult): string {
  if (result.status >= 300 && result.status < 400 && result.location) return `${result.status} (a redirect to ${result.location})`;
  return String(result.status);
}

/** `health`: GET /health answers 200 with JSON `status: "ok"` within the timeout. */
export async function checkHealth(url: string, options: HttpOptions): Promise<CheckResult> {
  const result = await get(url, '/health', options);
  if ('error' in result) return { name: 'health', ok: false, ms: result.ms, detail: `GET /health: ${result.error}` };
  const { ms } = result;
  if (result.status !== 200)
    return { name: 'health', ok: false, ms, detail: `GET /health answered ${statusPhrase(result)} (expected 200)` };
  const body = parseJsonObject(result.text);
  if (body === undefined) {
    return {
      name: 'health',
      ok: false,
      ms,
      detail: `GET /health answered 200 with ${mediaType(result.contentType)}, not JSON (expected {"status":"ok"})`,
    };
  }
  if (body.status !== 'ok') {
    return {
      name: 'health',
      ok: false,
      ms,
      detail: `GET /health answered 200 with status ${JSON.stringify(body.status ?? null)} (expected "ok")`,
    };
  }
  const about = [
    typeof body.client === 'string' ? `client ${body.client}` : '',
    typeof body.version === 'string' ? `version ${body.version}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return { name: 'health', ok: true, ms, detail: `200 status "ok"${about ? ` (${about})` : ''}` };
}

/** `ready`: GET /ready answers 200; a 503 explains what the worker reports missing. */
export async function checkReady(url: string, options: HttpOptions): Promise<CheckResult> {
  const result = await get(url, '/ready', options);
  if ('error' in result) return { name: 'ready', ok: false, ms: result.ms, detail: `GET /ready: ${result.error}` };
  const { ms } = result;
  if (result.status === 200) return { name: 'ready', ok: true, ms, detail: '200 ready' };
  const body = parseJsonObject(result.text);
  const reasons: string[] = [];
  if (body !== undefined) {
    const missing = Array.isArray(body.missing) ? body.missing.filter((name): name is string => typeof name === 'string') : [];
    if (missing.length > 0) reasons.push(`missing ${missing.join(', ')}`);
    if (typeof body.upstream === 'string' && body.upstream !== '') reasons.push(`upstream: ${body.upstream}`);
    else if (body.upstream !== undefined && body.upstream !== null && body.upstream !== true)
      reasons.push(`upstream: ${JSON.stringify(body.upstream)}`);
    if (reasons.length === 0 && typeof body.status === 'string') reasons.push(`status "${body.status}"`);
  }
  const why = reasons.length > 0 ? `: ${reasons.join('; ')}` : result.status === 503 ? ' with no reason given' : ' (expected 200)';
  return { name: 'ready', ok: false, ms, detail: `GET /ready answered ${statusPhrase(result)}${why}` };
}

export interface AuthCheckOptions extends HttpOptions {
  /** A random key that no worker can hold; it never leaves the request header. */
  wrongKey: string;
  /** What is known about the keys that open the worker besides the probes (worker-keys.ts). */
  keys?: { problems: readonly string[]; notes: readonly string[] };
}

/** What is wrong when a probe was not refused, with what it means; undefined when it was refused. */
export function refusalProblem(probe: KeyProbeResult, consequence: string): string | undefined {
  if (probe.refused) return undefined;
  if (probe.accepted) return `${probe.detail} (expected 401/403): ${consequence}`;
  if (probe.status === undefined) return probe.detail;
  if (probe.status >= 500) return `${probe.detail} (expected 401/403): the worker could not check credentials (is its API_KEY secret set?)`;
  return `${probe.detail} (expected 401/403)`;
}

/**
 * `auth`: POST /mcp without credentials and with a wrong key must both be refused (401/403), and no
 * key may open the worker that breaks the key rules or that its secrets file does not name.
 */
export async function checkAuth(url: string, options: AuthCheckOptions): Promise<CheckResult> {
  const started = performance.now();
  const [none, wrong] = await Promise.all([
    keyAccepted(url, undefined, { timeoutMs: options.timeoutMs, label: 'without credentials' }),
    keyAccepted(url, options.wrongKey, { timeoutMs: options.timeoutMs, label: 'with a wrong key' }),
  ]);
  const ms = Math.round(performance.now() - started);
  const problems = [
    refusalProblem(none, 'the worker serves MCP without auth'),
    refusalProblem(wrong, 'the worker accepts a key that is not its own'),
    ...(options.keys?.problems ?? []),
  ].filter((problem): problem is string => problem !== undefined);
  if (problems.length > 0) return { name: 'auth', ok: false, ms, detail: problems.join('; ') };
  const notes = options.keys?.notes.length ? ` (${options.keys.notes.join('; ')})` : '';
  return { name: 'auth', ok: true, ms, detail: `no credentials → ${none.status}, wrong key → ${wrong.status}${notes}` };
}

/** An origin no browser page of a real caller can have (.invalid never resolves). */
export const FOREIGN_ORIGIN = 'https://mcp-fleet-verify.invalid';

/** POST /mcp as a page on a foreign site would send it, but with the client's own key: only the Origin can be refused. */
export function probeOrigin(url: string, key: string, options: HttpOptions): Promise<KeyProbeResult> {
  return keyAccepted(url, key, {
    timeoutMs: options.timeoutMs,
    label: `from a foreign Origin (${FOREIGN_ORIGIN}) with the client's key`,
    origin: FOREIGN_ORIGIN,
  });
}

/**
 * `origin`: a request from a foreign web page (Origin header) is refused with 403 even with the
 * right key. A worker that serves it lets any site its callers' browsers open reach it (DNS
 * rebinding), which the MCP transport rules forbid. Workers from the 2025 template never
 * checked Origin, so unless the run requires 2026-07-28 (`required` false) that is only reported.
 */
export function originCheck(probe: KeyProbeResult, required: boolean): CheckResult {
  const { ms } = probe;
  if (probe.status === 403) return { name: 'origin', ok: true, ms, detail: 'foreign Origin → 403' };
  if (probe.accepted) {
    const detail = `${probe.detail} (expected 403): the worker does not check Origin`;
    if (!required)
      return { name: 'origin', ok: true, advisory: true, ms, detail: `${detail}, as 2025-template workers do not; required with modern` };
    return { name: 'origin', ok: false, ms, detail: `${detail}, so any web page its callers open can use it (DNS rebinding)` };
  }
  if (probe.status === undefined) return { name: 'origin', ok: false, ms, detail: probe.detail };
  const why = probe.status === 401 ? ": the client's key was refused, so the Origin check could not be judged" : '';
  return { name: 'origin', ok: false, ms, detail: `${probe.detail} (expected 403)${why}` };
}

export { formatSeconds };
