import { type MiniflareOptions, Response as MiniflareResponse } from 'miniflare';
import type { WorkerSpec } from '../runtime/worker-spec.js';
import type { DataPoint } from './store.js';

/**
 * How a worker's Analytics Engine data points reach the edge. writeDataPoint is fire-and-forget, and
 * an un-awaited call to another service would be cancelled when the request ends; so an entry module
 * wraps the uploaded module's handlers, giving them datasets that post each point to a sink service
 * under ctx.waitUntil. The sink hands the point to the edge.
 */

type EnvBinding = NonNullable<MiniflareOptions['workers'][number]['config']['env']>[string];

export interface AnalyticsBridge {
  /** The wrapping module: it becomes the worker's main module and re-exports the uploaded one. */
  entry: { name: string; contents: Uint8Array<ArrayBuffer> };
  /** The sink service, under a binding name no upload uses (the entry module hides it from the worker). */
  sink: { binding: string; service: EnvBinding };
}

const ENTRY_MODULE = '__mcp_fleet_edge_entry.mjs';
const SINK_BINDING = '__MCP_FLEET_EDGE_ANALYTICS';

export function analyticsBridge(spec: WorkerSpec, onDataPoint: (point: DataPoint) => void): AnalyticsBridge {
  const datasets = new Map(spec.analytics.map((entry) => [entry.binding, entry.dataset]));
  const service: EnvBinding = {
    type: 'fetcher',
    handler: async (request) => {
      try {
        const body = (await request.json()) as { binding: string; point: Record<string, unknown> };
        onDataPoint(toDataPoint(spec.script, body.binding, datasets.get(body.binding) ?? '', body.point));
      } catch {
        // A malformed point is dropped, as Analytics Engine would.
      }
      return new MiniflareResponse(null, { status: 204 });
    },
  };
  const source = entrySource(
    spec.mainModule,
    spec.analytics.map((a) => a.binding),
  );
  return { entry: { name: ENTRY_MODULE, contents: new TextEncoder().encode(source) }, sink: { binding: SINK_BINDING, service } };
}

function toDataPoint(script: string, binding: string, dataset: string, point: Record<string, unknown>): DataPoint {
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
  return {
    time: new Date().toISOString(),
    script,
    dataset,
    binding,
    blobs: list(point.blobs).map((b) => (b === null || b === undefined ? null : String(b))),
    doubles: list(point.doubles).map(Number),
    indexes: list(point.indexes).map((i) => (i === null || i === undefined ? null : String(i))),
  };
}

/** The entry module: wraps every handler of the uploaded main module so that its env carries the posting datasets. */
function entrySource(mainModule: string, bindings: string[]): string {
  const specifier = JSON.stringify(`./${mainModule}`);
  return `import * as user from ${specifier};
export * from ${specifier};
const BINDINGS = ${JSON.stringify(bindings)};
const SINK = ${JSON.stringify(SINK_BINDING)};
const HANDLERS = new Set(["fetch", "scheduled", "queue", "tail", "trace", "email", "test", "tailStream"]);
const decoder = new TextDecoder();
function blob(value) {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  try { return decoder.decode(value); } catch { return String(value); }
}
function wrapEnv(env, ctx) {
  if (!env || typeof env !== "object" || !env[SINK]) return env;
  const sink = env[SINK];
  const out = { ...env };
  delete out[SINK];
  for (const name of BINDINGS) {
    out[name] = {
      writeDataPoint(point) {
        const p = point || {};
        const body = JSON.stringify({ binding: name, point: { blobs: (p.blobs || []).map(blob), doubles: p.doubles || [], indexes: (p.indexes || []).map(blob) } });
        const sent = sink.fetch("http://analytics.edge.local/", { method: "POST", body }).catch(() => {});
        try { ctx && ctx.waitUntil && ctx.waitUntil(sent); } catch {}
      },
    };
  }
  return out;
}
const inner = user.default;
let outer = inner;
if (typeof inner === "function") {
  outer = class extends inner {
    constructor(ctx, env) { super(ctx, wrapEnv(env, ctx)); }
  };
} else if (inner && typeof inner === "object") {
  outer = {};
  for (const key of Object.keys(inner)) {
    const value = inner[key];
    outer[key] = typeof value === "function" && HANDLERS.has(key) ? (arg, env, ctx) => value.call(inner, arg, wrapEnv(env, ctx), ctx) : value;
  }
}
export default outer;
`;
}
