import {
  type CallToolResult,
  Client,
  ProtocolError,
  SdkError,
  SdkErrorCode,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { describeFetchError, formatSeconds, mcpEndpoint } from './auth-probe.js';
import { probeHeaders } from './probe-agent.js';
import { type Generation, MODERN_REVISION } from './protocol.js';

export interface McpServerInfo {
  name: string;
  version: string;
  /** The protocol revision the session settled on. */
  protocolVersion: string | undefined;
  tools: string[];
}

export interface WhoamiResult {
  ms: number;
  /** The client the worker says it serves (`client` of the tool's JSON answer). */
  client: string | undefined;
  /** Who the worker says is calling and how they got in (`subject`, `via`), when it says. */
  subject?: string;
  via?: string;
  /** Why no client name could be read, when it could not. */
  error: string | undefined;
}

/** The step a session failed at: server/discover starts a modern session, initialize a legacy one. */
export type SessionStep = 'server/discover' | 'initialize' | 'tools/list';

export interface SessionProbe {
  generation: Generation;
  /** Time of the handshake (discover or initialize) and tools/list. */
  ms: number;
  /** Set when the session got through tools/list. */
  server: McpServerInfo | undefined;
  failedAt: SessionStep | undefined;
  /** Why it failed, in one secret-free sentence. */
  error: string | undefined;
  /**
   * The worker answered, in a way that says it does not speak this generation at all (a 2025-only
   * worker answering server/discover the 2025 way), as opposed to failing at it.
   */
  unsupported: boolean;
  /** The modern revisions server/discover listed; empty for a legacy session. */
  discovered: string[];
  /** The answer of `whoami`, when the server has that tool and the session worked. */
  whoami: WhoamiResult | undefined;
}

export interface SessionOptions {
  timeoutMs: number;
  /** Name of the tool that names the client a worker serves. */
  whoamiTool: string;
  /** Blanks the run's secrets out of text the worker sent, before it is cut to length (a cut would leave a piece a later pass cannot tell from text). */
  redact?: (text: string) => string;
}

const asIs = (text: string): string => text;

/**
 * One real MCP session with the SDK's v2 client, the way a host of that generation opens it:
 * modern negotiates with server/discover (falling back to initialize only when the worker
 * answers the 2025 way, which is recorded as `unsupported`), legacy runs the plain initialize
 * handshake on 2025-11-25. Then tools/list, and `whoami` when the server has it. The key travels
 * only in the Authorization header.
 */
export async function probeSession(url: string, key: string, generation: Generation, options: SessionOptions): Promise<SessionProbe> {
  const requestOptions = { timeout: options.timeoutMs, maxTotalTimeout: options.timeoutMs };
  const transport = new StreamableHTTPClientTransport(new URL(mcpEndpoint(url)), {
    requestInit: { headers: { ...probeHeaders(), Authorization: `Bearer ${key}` }, redirect: 'manual' },
    // A verify run wants a prompt answer, not a client that retries a standalone SSE stream.
    reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1000, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1 },
  });
  const client = new Client(
    { name: 'mcp-fleet-verify', version: '2' },
    { capabilities: {}, versionNegotiation: { mode: generation === 'modern' ? 'auto' : 'legacy' } },
  );
  // Errors of the optional GET stream arrive here; the request promises carry what matters.
  client.onerror = () => undefined;
  const handshake: SessionStep = generation === 'modern' ? 'server/discover' : 'initialize';
  const redact = options.redact ?? asIs;
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  const failure = (failedAt: SessionStep, error: string, unsupported = false): SessionProbe => ({
    generation,
    ms: elapsed(),
    server: undefined,
    failedAt,
    error,
    unsupported,
    discovered: [],
    whoami: undefined,
  });
  try {
    try {
      await client.connect(transport, requestOptions);
    } catch (error) {
      return failure(handshake, describeMcpError(error, options.timeoutMs, redact), generation === 'legacy' && isUnsupportedVersion(error));
    }
    if (generation === 'modern' && client.getProtocolEra() !== 'modern') {
      return failure(handshake, `server/discover was not answered with ${MODERN_REVISION}; the worker fell back to initialize`, true);
    }
    let tools: string[];
    try {
      const listed = await client.listTools(undefined, { ...requestOptions, cacheMode: 'bypass' });
      tools = listed.tools.map((tool) => tool.name);
    } catch (error) {
      return failure('tools/list', describeMcpError(error, options.timeoutMs, redact));
    }
    const ms = elapsed();
    const version = client.getServerVersion();
    const server: McpServerInfo = {
      name: version?.name ?? '(unnamed)',
      version: version?.version ?? '(no version)',
      protocolVersion: client.getNegotiatedProtocolVersion(),
      tools,
    };
    const discovered = client.getDiscoverResult()?.supportedVersions ?? [];
    const whoami = tools.includes(options.whoamiTool) ? await callWhoami(client, options.whoamiTool, options.timeoutMs, redact) : undefined;
    return { generation, ms, server, failedAt: undefined, error: undefined, unsupported: false, discovered: [...discovered], whoami };
  } finally {
    await client.close().catch(() => undefined);
  }
}

async function callWhoami(client: Client, tool: string, timeoutMs: number, redact: (text: string) => string): Promise<WhoamiResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  let result: CallToolResult;
  try {
    result = await client.callTool({ name: tool, arguments: {} }, { timeout: timeoutMs, maxTotalTimeout: timeoutMs });
  } catch (error) {
    return { ms: elapsed(), client: undefined, error: `${tool} failed: ${describeMcpError(error, timeoutMs, redact)}` };
  }
  const ms = elapsed();
  const text = result.content
    .map((part) => (part.type === 'text' ? part.text : ''))
    .join('')
    .trim();
  if (result.isError === true) return { ms, client: undefined, error: `${tool} answered with an error: ${truncate(redact(text))}` };
  const answer = readClient(result.structuredContent) === undefined ? safeJson(text) : result.structuredContent;
  const named = readClient(answer);
  if (named !== undefined) return { ms, client: named, error: undefined, ...caller(answer) };
  return { ms, client: undefined, error: `${tool} did not answer {"client": …}, but: ${truncate(redact(text)) || '(no text)'}` };
}

function readClient(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || !('client' in value)) return undefined;
  return typeof value.client === 'string' ? value.client : undefined;
}

function caller(value: unknown): { subject?: string; via?: string } {
  if (typeof value !== 'object' || value === null) return {};
  const { subject, via } = value as { subject?: unknown; via?: unknown };
  return { ...(typeof subject === 'string' ? { subject } : {}), ...(typeof via === 'string' ? { via } : {}) };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function truncate(text: string, max = 160): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

/** The HTTP status and body text the v2 client keeps on an HTTP failure, when it kept them. */
function httpFailure(error: unknown): { status: number; text: string } | undefined {
  if (!(error instanceof SdkError) || typeof error.data !== 'object' || error.data === null) return undefined;
  const data: { status?: unknown; text?: unknown } = error.data;
  if (typeof data.status !== 'number') return undefined;
  return { status: data.status, text: typeof data.text === 'string' ? data.text : '' };
}

/** A 2026-only worker refuses a 2025 initialize with -32022 (unsupported protocol version). */
function isUnsupportedVersion(error: unknown): boolean {
  if (error instanceof ProtocolError) return error.code === -32022;
  const http = httpFailure(error);
  return http !== undefined && /"code"\s*:\s*-32022\b/.test(http.text);
}

/** A secret-free sentence for what went wrong in the SDK client; text the worker sent is redacted before it is cut. */
export function describeMcpError(error: unknown, timeoutMs: number, redact: (text: string) => string = asIs): string {
  const clip = (text: string): string => truncate(redact(text));
  if (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout) return `no answer within ${formatSeconds(timeoutMs)}`;
  const http = httpFailure(error);
  if (http !== undefined) return `HTTP ${http.status}${http.text && http.text !== 'null' ? `: ${clip(http.text)}` : ''}`;
  if (error instanceof ProtocolError) return `${clip(error.message)} (JSON-RPC error ${error.code})`;
  const cause = error instanceof Error ? error.cause : undefined;
  if (error instanceof TypeError || cause instanceof TypeError)
    return describeFetchError(cause instanceof TypeError ? cause : error, timeoutMs);
  if (error instanceof Error) return clip(error.message);
  return clip(String(error));
}
