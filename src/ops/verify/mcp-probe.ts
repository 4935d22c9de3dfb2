import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { describeFetchError, formatSeconds, mcpEndpoint } from './auth-probe.js';

export interface McpServerInfo {
  name: string;
  version: string;
  /** The protocol version the session settled on. */
  protocolVersion: string | undefined;
  tools: string[];
}

export interface WhoamiResult {
  ms: number;
  /** The client the worker says it serves (`client` of the tool's JSON answer). */
  client: string | undefined;
  /** Why no client name could be read, when it could not. */
  error: string | undefined;
}

export interface McpProbeResult {
  /** Time of initialize + tools/list. */
  ms: number;
  /** Set when the session got through tools/list. */
  server: McpServerInfo | undefined;
  /** Which step failed, and why (secret-free), when one did. */
  failedAt: 'initialize' | 'tools/list' | undefined;
  error: string | undefined;
  /** The answer of `whoami`, when the server has that tool and the session worked. */
  whoami: WhoamiResult | undefined;
}

export interface McpProbeOptions {
  timeoutMs: number;
  /** Name of the tool that names the client a worker serves. */
  whoamiTool?: string;
}

const PAGE_LIMIT = 50;

/**
 * Opens a real MCP session with the SDK's client (Streamable HTTP), the way an MCP host would:
 * initialize, tools/list, and `whoami` when the server has it. The key travels only in the
 * Authorization header of the transport's requests.
 */
export async function probeMcp(url: string, key: string, options: McpProbeOptions): Promise<McpProbeResult> {
  const whoamiTool = options.whoamiTool ?? 'whoami';
  const requestOptions = { timeout: options.timeoutMs, maxTotalTimeout: options.timeoutMs };
  const transport = new StreamableHTTPClientTransport(new URL(mcpEndpoint(url)), {
    requestInit: { headers: { Authorization: `Bearer ${key}` } },
    // A verify run wants a prompt answer, not a client that retries the standalone SSE stream.
    reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1000, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1 },
  });
  const client = new Client({ name: 'mcp-fleet-verify', version: '1' }, { capabilities: {} });
  // Errors of the optional GET stream arrive here; the request promises carry what matters.
  client.onerror = () => undefined;
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  try {
    try {
      await client.connect(transport, requestOptions);
    } catch (error) {
      return {
        ms: elapsed(),
        server: undefined,
        failedAt: 'initialize',
        error: describeMcpError(error, options.timeoutMs),
        whoami: undefined,
      };
    }
    const tools: string[] = [];
    try {
      let cursor: string | undefined;
      for (let page = 0; page < PAGE_LIMIT; page++) {
        const result = await client.listTools(cursor === undefined ? undefined : { cursor }, requestOptions);
        tools.push(...result.tools.map((tool) => tool.name));
        cursor = result.nextCursor;
        if (cursor === undefined) break;
      }
    } catch (error) {
      return {
        ms: elapsed(),
        server: undefined,
        failedAt: 'tools/list',
        error: describeMcpError(error, options.timeoutMs),
        whoami: undefined,
      };
    }
    const ms = elapsed();
    const version = client.getServerVersion();
    const server: McpServerInfo = {
      name: version?.name ?? '(unnamed)',
      version: version?.version ?? '(no version)',
      protocolVersion: transport.protocolVersion,
      tools,
    };
    const whoami = tools.includes(whoamiTool) ? await callWhoami(client, whoamiTool, options.timeoutMs) : undefined;
    return { ms, server, failedAt: undefined, error: undefined, whoami };
  } finally {
    await client.close().catch(() => undefined);
  }
}

async function callWhoami(client: Client, tool: string, timeoutMs: number): Promise<WhoamiResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  try {
    const result = await client.callTool({ name: tool, arguments: {} }, undefined, { timeout: timeoutMs, maxTotalTimeout: timeoutMs });
    const ms = elapsed();
    const content = Array.isArray(result.content) ? (result.content as unknown[]) : [];
    const text = content
      .map((part) => (isTextPart(part) ? part.text : ''))
      .join('')
      .trim();
    if (result.isError === true) return { ms, client: undefined, error: `${tool} answered with an error: ${truncate(text)}` };
    const structured = readClient(result.structuredContent);
    if (structured !== undefined) return { ms, client: structured, error: undefined };
    const parsed = readClient(safeJson(text));
    if (parsed !== undefined) return { ms, client: parsed, error: undefined };
    return { ms, client: undefined, error: `${tool} did not answer {"client": …}, but: ${truncate(text) || '(no text)'}` };
  } catch (error) {
    return { ms: elapsed(), client: undefined, error: `${tool} failed: ${describeMcpError(error, timeoutMs)}` };
  }
}

function isTextPart(part: unknown): part is { type: 'text'; text: string } {
  return (
    typeof part === 'object' && part !== null && 'type' in part && part.type === 'text' && 'text' in part && typeof part.text === 'string'
  );
}

function readClient(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || !('client' in value)) return undefined;
  return typeof value.client === 'string' ? value.client : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function truncate(text: string, max = 160): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

/** A secret-free sentence for what went wrong in the SDK client. */
export function describeMcpError(error: unknown, timeoutMs: number): string {
  if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) return `no answer within ${formatSeconds(timeoutMs)}`;
  if (error instanceof StreamableHTTPError) {
    const body = error.message.replace(/^Streamable HTTP error:\s*/, '').replace(/^Error POSTing to endpoint:\s*/, '');
    if (error.code !== undefined && error.code > 0) return `HTTP ${error.code}${body && body !== 'null' ? `: ${truncate(body)}` : ''}`;
    return truncate(body);
  }
  if (error instanceof TypeError && error.message === 'fetch failed') return describeFetchError(error, timeoutMs);
  if (error instanceof Error) return truncate(error.message);
  return truncate(String(error));
}
