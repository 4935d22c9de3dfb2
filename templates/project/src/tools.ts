import type { CallToolResult, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Env } from './platform/env';
import type { Identity } from './platform/identity';
import { getUpstream, MAX_BODY_BYTES, signingKeys, upstreamUrl } from './upstream';

/**
 * The tools every client's server offers: this is the file to edit. A tool is a name, a
 * description the model reads, zod schemas for its input and output, and a handler that returns
 * a result (`result(...)`) or an error the model can read (`failure(...)`).
 *
 * Tools read the client's identity and credentials from `env` only, never from the request: a
 * caller cannot ask to act as another client. `caller` says who is calling ({client, subject,
 * via}): by the time a handler runs they have shown a credential of this client (its key, an
 * OAuth token, a token from `mcp-fleet tokens issue`) and every secret in .secrets.template is
 * set (src/platform/ checks both).
 * To call the client's API, use the helpers in ./upstream.ts: they keep the client's token on
 * its own host and sign each request with the client's UPSTREAM_SIGNING_KEY (docs: upstream signing).
 */
export function registerTools(server: McpServer, env: Env, caller: Identity): void {
  server.registerTool(
    'whoami',
    {
      title: 'Who am I',
      description: 'Returns the client this MCP server belongs to, who is calling and how they signed in.',
      outputSchema: z.object({ client: z.string(), subject: z.string(), via: z.enum(['key', 'oauth', 'jwt']) }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => result({ client: caller.client, subject: caller.subject, via: caller.via }),
  );

  server.registerTool(
    'fetch_upstream',
    {
      title: 'Fetch from upstream',
      description: `GETs a path on this client's upstream API with the client's credential and returns the status and at most ${MAX_BODY_BYTES} bytes of the body.`,
      inputSchema: z.object({ path: z.string().default('/').describe('Path below the upstream base URL, e.g. /status') }),
      outputSchema: z.object({ status: z.number().int(), body: z.string(), truncated: z.boolean() }),
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    async ({ path }) => {
      if (!env.UPSTREAM_URL) return failure('no upstream is configured for this client (UPSTREAM_URL is not set)');
      if (!env.UPSTREAM_TOKEN) return failure('the upstream credential (UPSTREAM_TOKEN) is not set');
      let url: URL;
      try {
        url = upstreamUrl(env.UPSTREAM_URL, path);
      } catch (error) {
        return failure(`invalid path: ${messageOf(error)}`);
      }
      try {
        const keys = signingKeys(env);
        const signing = keys ? { client: caller.client, subject: caller.subject, keys } : undefined;
        return result({ ...(await getUpstream(url, env.UPSTREAM_TOKEN, signing)) });
      } catch (error) {
        // The message names the URL at most, never the token.
        return failure(`upstream request failed: ${messageOf(error)}`);
      }
    },
  );
}

/** Text for clients that only read `content`, structured data for those that read `structuredContent`. */
function result(data: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(data) }], structuredContent: data };
}

/** An error the model sees as the tool's answer (isError), not a protocol failure. */
function failure(message: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: message }] };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
