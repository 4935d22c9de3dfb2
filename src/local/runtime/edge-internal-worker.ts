import { type MiniflareOptions, Response as MiniflareResponse } from 'miniflare';

/** One worker as Miniflare takes it. */
export type MiniflareWorker = MiniflareOptions['workers'][number];

/**
 * One worker of the edge's own in every workerd process, beside the deployed ones: their tail
 * consumer. workerd hands it a trace item per invocation (request, outcome, console output,
 * exceptions; Authorization and Cookie headers already redacted), and it posts those of tailed
 * workers to the edge, which streams them to `wrangler tail` (tail-hub.ts). The name has an underscore, which no
 * Cloudflare worker name may have, so it cannot collide with a deployed worker.
 */

export const INTERNAL_WORKER = 'mcp_fleet_edge';

/** Where trace items go: which workers someone tails now, and the items of those. */
export interface TailSink {
  watched(): string[];
  publish(script: string, events: unknown[]): void;
}

const SINK_BINDING = 'TAIL_SINK';
const SCRIPT_HEADER = 'x-mcp-fleet-script';
/** How long the internal worker trusts its list of tailed workers before asking again. */
const WATCHED_TTL_MS = 250;

// Every invocation of every worker produces a trace item, and posting each to the edge would cost
// every request a round trip through miniflare's loopback. So items are posted only for workers
// someone tails, by a list the internal worker asks the edge for at most every WATCHED_TTL_MS
// (module state lives as long as the isolate): a tail that has just connected may miss that long.
const SOURCE = `let watched = new Set();
let checkedAt = -Infinity;
let checking = null;
function refresh(env) {
  checking ??= env.${SINK_BINDING}.fetch("http://tail.edge.local/watched")
    .then((response) => response.json())
    .then((list) => { watched = new Set(list); checkedAt = Date.now(); })
    .catch(() => {})
    .finally(() => { checking = null; });
  return checking;
}
export default {
  async tail(events, env, ctx) {
    const script = ctx.props && ctx.props.script;
    if (typeof script !== "string" || events.length === 0) return;
    if (Date.now() - checkedAt > ${WATCHED_TTL_MS}) await refresh(env);
    if (!watched.has(script)) return;
    await env.${SINK_BINDING}.fetch("http://tail.edge.local/events", {
      method: "POST",
      headers: { "${SCRIPT_HEADER}": script },
      body: JSON.stringify(events),
    });
  },
};
`;

/** The worker itself, to be added to a workerd process's workers. */
export function internalWorker(sink: TailSink): MiniflareWorker {
  return {
    config: {
      name: INTERNAL_WORKER,
      compatibilityDate: '2025-06-01',
      manifest: { mainModule: 'edge.mjs', modules: { 'edge.mjs': { type: 'esm', contents: new TextEncoder().encode(SOURCE) } } },
      env: {
        [SINK_BINDING]: {
          type: 'fetcher',
          handler: async (request) => {
            if (request.method === 'GET') return MiniflareResponse.json(sink.watched());
            const script = request.headers.get(SCRIPT_HEADER);
            try {
              const events = (await request.json()) as unknown;
              if (script && Array.isArray(events)) sink.publish(script, events);
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
