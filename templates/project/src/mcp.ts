import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Env, ExecutionContext } from './env';
import { methodNotAllowed } from './http';
import { registerTools } from './tools';
import { SERVER_NAME, WORKER_VERSION } from './version';

/**
 * Serves one MCP HTTP request (already authenticated). Stateless: a fresh
 * server and transport per request, no session ids, so any isolate in any
 * location can answer any request and nothing is kept between them.
 */
export async function handleMcp(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  // A standalone GET stream only carries server-initiated messages, which a
  // per-request server never sends; holding one open would only bill duration.
  // Clients treat 405 here as "no stream offered".
  if (request.method === 'GET') return methodNotAllowed(['POST', 'DELETE']);

  const server = new McpServer({ name: SERVER_NAME, version: WORKER_VERSION }, { capabilities: { tools: {} } });
  registerTools(server, env);
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    // Whole JSON answers instead of SSE: simpler for proxies, and the response
    // is complete when handleRequest returns, so its status is final.
    enableJsonResponse: true,
  });
  await server.connect(transport);
  try {
    return await transport.handleRequest(request);
  } finally {
    ctx.waitUntil(server.close());
  }
}
