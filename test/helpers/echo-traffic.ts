import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { TestFleet } from './fleet.js';

/**
 * Real traffic for rollouts judged on it (deploy --bake, --ramp): an `echo` tool added to the
 * project's tools, optionally broken on every n-th call, and an MCP client calling it while a
 * deploy runs.
 */

const MARKER = 'export function registerTools(server: McpServer, env: Env, caller: Identity): void {';

/** Writes src/tools.ts as `original` plus `echo`; with `failEvery`, echo fails (isError) on every n-th call one isolate serves. */
export async function writeEchoTool(dir: string, original: string, failEvery: number | undefined): Promise<void> {
  if (!original.includes(MARKER)) throw new Error('the template tools.ts changed shape');
  const echo = `
  server.registerTool(
    'echo',
    { description: 'Echoes its input.', inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => {
      echoCalls++;
      ${failEvery === undefined ? '' : `if (echoCalls % ${failEvery} === 0) return failure('echo broke');`}
      return { content: [{ type: 'text', text }] };
    },
  );
`;
  // Module scope: the count runs across requests, as one isolate serves them.
  await writeFile(join(dir, 'src', 'tools.ts'), original.replace(MARKER, `let echoCalls = 0;\n${MARKER}\n${echo}`));
}

/** Calls `client`'s echo tool, one call at a time about 10 times a second, until `done` settles; returns the calls answered. */
export async function echoTrafficUntil(fleet: TestFleet, worker: string, done: Promise<unknown>): Promise<number> {
  const key = (await fleet.secrets(worker)).get('API_KEY') ?? '';
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  let calls = 0;
  let client: Client | undefined;
  while (!finished) {
    try {
      if (!client) {
        client = new Client({ name: 'echo-traffic', version: '1' }, { versionNegotiation: { mode: 'legacy' } });
        await client.connect(
          new StreamableHTTPClientTransport(new URL(`${fleet.workerUrl(worker)}/mcp`), {
            requestInit: { headers: { authorization: `Bearer ${key}` } },
          }),
        );
      }
      await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
      calls++;
    } catch {
      // Before the new version has echo, or while a deployment changes: connect again.
      await client?.close().catch(() => undefined);
      client = undefined;
    }
    // Well inside the client's rate limit (600 per minute per caller and tool).
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await client?.close().catch(() => undefined);
  return calls;
}
