import {
  createMcpHandler,
  DEFAULT_MAX_REQUEST_BODY_SIZE,
  isJsonContentType,
  isLegacyRequest,
  McpServer,
  readRequestBody,
  SUPPORTED_PROTOCOL_VERSIONS,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { registerTools } from '../tools';
import type { Env } from './env';
import { json } from './http';
import type { Identity } from './identity';
import { SERVER_NAME, WORKER_VERSION } from './version';

/** The revisions this worker serves: 2026-07-28 (modern) and the 2025-era ones the SDK speaks. */
export const MODERN_REVISIONS: readonly string[] = ['2026-07-28'];
export const LEGACY_REVISIONS: readonly string[] = SUPPORTED_PROTOCOL_VERSIONS;

export interface McpAnswer {
  response: Response;
  /** The revision the request spoke, when it named one this worker knows (for analytics). */
  revision: string | undefined;
  /** Set when the request was a tools/call: whether the tool failed (for analytics: a rollout's bake reads it). */
  toolCall?: { failed: boolean };
}

/**
 * A fresh server per request: nothing survives between requests, so any isolate in any
 * location can answer any of them.
 *
 * Capabilities say what the worker really does. No listChanged anywhere: the lists change only
 * with a deploy, and a per-request server never sends notifications. Prompts and resources are
 * declared and answered with empty lists (the SDK installs those handlers), because hosts list
 * everything on connect and 2026-07-28 wants every list answered with cache hints; an empty
 * list is the truth, "method not found" would be an error to them.
 */
const CAPABILITIES = { tools: { listChanged: false }, prompts: { listChanged: false }, resources: { listChanged: false } };

function createServer(env: Env, caller: Identity): McpServer {
  const server = new McpServer({ name: SERVER_NAME, version: WORKER_VERSION }, { capabilities: CAPABILITIES });
  registerTools(server, env, caller);
  return server;
}

/**
 * Serves one authenticated POST to /mcp in either generation from the same endpoint.
 * 2026-07-28 requests (a `_meta` protocol-version envelope) go to the SDK's handler; 2025-era
 * ones (initialize, then requests without the envelope) to a stateless Streamable HTTP
 * transport of our own, because the SDK's built-in legacy fallback answers in SSE and insists
 * on `Accept: application/json, text/event-stream`, while this worker only ever answers JSON and
 * so serves any client that accepts JSON.
 */
export async function handleMcp(request: Request, env: Env, ctx: ExecutionContext, caller: Identity): Promise<McpAnswer> {
  const declared = knownRevision(request.headers.get('mcp-protocol-version'));
  if (!acceptsJson(request.headers.get('accept'))) {
    return { response: rpcError(406, -32000, 'Not Acceptable: this server answers application/json'), revision: declared };
  }
  if (!isJsonContentType(request.headers.get('content-type'))) {
    return { response: rpcError(415, -32000, 'Unsupported Media Type: Content-Type must be application/json'), revision: declared };
  }
  // Read once, here: the body decides the generation and then feeds whichever side serves it.
  const read = await readBody(request);
  if (read.kind === 'too-large') return { response: rpcError(413, -32000, 'Request body too large'), revision: declared };
  if (read.kind === 'invalid') return { response: rpcError(400, -32700, 'Parse error: Invalid JSON'), revision: declared };

  if (!(await isLegacyRequest(request, read.body))) {
    const handler = createMcpHandler(() => createServer(env, caller), { legacy: 'reject', onerror: logRejection });
    return withToolCall(read.body, { response: await handler.fetch(request, { parsedBody: read.body }), revision: declared });
  }

  const server = createServer(env, caller);
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  try {
    const headers = new Headers(request.headers);
    // The transport wants both media types listed; it answers JSON either way (enableJsonResponse).
    headers.set('accept', 'application/json, text/event-stream');
    const legacy = new Request(request.url, { method: 'POST', headers, body: read.text });
    const response = await transport.handleRequest(legacy, { parsedBody: read.body });
    return withToolCall(read.body, { response, revision: declared ?? knownRevision(initializeVersion(read.body)) });
  } finally {
    ctx.waitUntil(server.close());
  }
}

/**
 * Marks a tools/call with whether it failed: a tool's error (isError) is a 200 like any answer, so
 * without this a version whose tools fail looks healthy to everything but its callers. Reads a
 * copy of the JSON answer; tool results are small (see upstream.ts), and nothing else is read.
 */
async function withToolCall(body: unknown, answer: McpAnswer): Promise<McpAnswer> {
  if (typeof body !== 'object' || body === null || !('method' in body) || body.method !== 'tools/call') return answer;
  let failed = answer.response.status >= 400;
  if (!failed && (answer.response.headers.get('content-type') ?? '').includes('application/json')) {
    try {
      const reply = (await answer.response.clone().json()) as { error?: unknown; result?: { isError?: unknown } };
      failed = reply.error !== undefined || reply.result?.isError === true;
    } catch {
      failed = true;
    }
  }
  return { ...answer, toolCall: { failed } };
}

type BodyRead = { kind: 'ok'; text: string; body: unknown } | { kind: 'too-large' } | { kind: 'invalid' };

/** The body as JSON, read with the SDK's bound so an oversized body is refused before it is buffered whole. */
async function readBody(request: Request): Promise<BodyRead> {
  let text: string;
  try {
    const read = await readRequestBody(request, DEFAULT_MAX_REQUEST_BODY_SIZE);
    if (read.tooLarge) return { kind: 'too-large' };
    text = read.text;
  } catch {
    return { kind: 'invalid' };
  }
  try {
    return { kind: 'ok', text, body: JSON.parse(text) as unknown };
  } catch {
    return { kind: 'invalid' };
  }
}

/** No Accept header, or one that admits JSON: application/json, application/*, or * / *. */
function acceptsJson(accept: string | null): boolean {
  if (accept === null || accept.trim() === '') return true;
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    const refused = params.some((param) => /^q=0(\.0*)?$/.test(param));
    return !refused && (type === 'application/json' || type === 'application/*' || type === '*/*');
  });
}

function initializeVersion(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('method' in body) || body.method !== 'initialize') return undefined;
  const params = 'params' in body ? body.params : undefined;
  if (typeof params !== 'object' || params === null || !('protocolVersion' in params)) return undefined;
  return typeof params.protocolVersion === 'string' ? params.protocolVersion : undefined;
}

/** Only revisions this worker knows are recorded, so callers cannot blow up the dataset's cardinality. */
function knownRevision(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  return MODERN_REVISIONS.includes(value) || LEGACY_REVISIONS.includes(value) ? value : undefined;
}

function rpcError(status: number, code: number, message: string): Response {
  return json(status, { jsonrpc: '2.0', error: { code, message }, id: null });
}

/** What the SDK refused and why (a version it does not serve, a header mismatch): names only, never bodies. */
function logRejection(error: Error): void {
  console.warn(`mcp: ${error.message}`);
}
