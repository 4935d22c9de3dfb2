import { Response as MiniflareResponse } from 'miniflare';
import type { MiniflareWorker } from './worker-options.js';

/**
 * One worker of the edge's own in every workerd process, beside the deployed ones: their tail
 * consumer. workerd hands it a trace item per invocation (request, outcome, console output,
 * exceptions; Authorization and Cookie headers already redacted), and it posts them to the edge,
 * which streams them to `wrangler tail` (tail-hub.ts). The name has an underscore, which no
 * Cloudflare worker name may have, so it cannot collide with a deployed worker.
 */

export const INTERNAL_WORKER = 'mcp_fleet_edge';

/** Receives a worker's trace items; returns quickly (it runs on miniflare's loopback). */
export type TailListener = (script: string, events: unknown[]) => void;

const SINK_BINDING = 'TAIL_SINK';
const SCRIPT_HEADER = 'x-mcp-fleet-script';

const SOURCE = `export default {
  async tail(events, env, ctx) {
    const script = ctx.props && ctx.props.script;
    if (typeof script !== "string" || events.length === 0) return;
    await env.${SINK_BINDING}.fetch("http://tail.edge.local/", {
      method: "POST",
      headers: { "${SCRIPT_HEADER}": script },
      body: JSON.stringify(events),
    });
  },
};
`;

/** The worker itself, to be added to a workerd process's workers. */
export function internalWorker(onTail: TailListener): MiniflareWorker {
  return {
    config: {
      name: INTERNAL_WORKER,
      compatibilityDate: '2025-06-01',
      manifest: { mainModule: 'edge.mjs', modules: { 'edge.mjs': { type: 'esm', contents: new TextEncoder().encode(SOURCE) } } },
      env: {
        [SINK_BINDING]: {
          type: 'fetcher',
          handler: async (request) => {
            const script = request.headers.get(SCRIPT_HEADER);
            try {
              const events = (await request.json()) as unknown;
              if (script && Array.isArray(events)) onTail(script, events);
            } catch {
              // A malformed batch is dropped: tails are best effort on Cloudflare too.
            }
            return new MiniflareResponse(null, { status: 204 });
          },
        },
      },
    },
  };
}

/** What a deployed worker's config names as its tail consumer: the internal worker, told whose events these are. */
export function tailConsumerOf(script: string): { worker: string; props: { script: string } } {
  return { worker: INTERNAL_WORKER, props: { script } };
}
