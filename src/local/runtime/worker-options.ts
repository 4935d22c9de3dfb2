import { analyticsBridge } from '../analytics/bridge.js';
import type { DataPoint } from '../analytics/store.js';
import type { ModuleType } from '../store.js';
import { type MiniflareWorker, tailConsumerOf } from './edge-internal-worker.js';
import type { EgressHandler } from './egress.js';
import type { WorkerSpec } from './worker-spec.js';

/**
 * One worker as Miniflare runs it: modules, env bindings, a direct loopback socket for the edge's
 * proxy, its subrequests through the edge's egress (egress.ts) and the edge's tail consumer.
 */

type Env = NonNullable<MiniflareWorker['config']['env']>;

export interface WorkerHooks {
  onDataPoint?: (point: DataPoint) => void;
  /** The worker's global fetch; without it workerd reaches any address itself. */
  egress?: (worker: string) => EgressHandler;
  /** Whether the process runs the internal worker that consumes tails. */
  tails?: boolean;
}

export function workerOptions(spec: WorkerSpec, hooks: WorkerHooks): MiniflareWorker {
  const { onDataPoint } = hooks;
  const env: Env = {};
  for (const [name, value] of Object.entries(spec.json)) env[name] = { type: 'json', value: value as never };
  for (const [name, value] of Object.entries(spec.text)) env[name] = { type: 'text', value };
  for (const { binding, namespaceId } of spec.kv) env[binding] = { type: 'kv', id: namespaceId };
  for (const { binding, namespaceId, limit, period } of spec.rateLimits)
    env[binding] = { type: 'rate-limit', namespace: namespaceId, simple: { limit, period } };

  const modules: Record<string, { type: ModuleType; contents: Uint8Array<ArrayBuffer> }> = {};
  for (const module of spec.modules) modules[module.name] = { type: module.type, contents: new Uint8Array(module.contents) };

  let mainModule = spec.mainModule;
  for (const { binding, dataset } of spec.analytics) env[binding] = { type: 'analytics-engine-dataset', name: dataset };
  const mainIsEsm = spec.modules.find((module) => module.name === spec.mainModule)?.type === 'esm';
  // Only an ES module can be wrapped; a CommonJS worker keeps Miniflare's own datasets, whose points the edge does not see.
  if (spec.analytics.length > 0 && mainIsEsm && onDataPoint) {
    const { entry, sink } = analyticsBridge(spec, onDataPoint);
    env[sink.binding] = sink.service;
    modules[entry.name] = { type: 'esm', contents: entry.contents };
    mainModule = entry.name;
  }

  return {
    config: {
      name: spec.name,
      compatibilityDate: spec.compatibilityDate,
      compatibilityFlags: spec.compatibilityFlags,
      manifest: { mainModule, modules },
      env,
      ...(hooks.tails ? { tailConsumers: [tailConsumerOf(spec.script)] } : {}),
    },
    dev: {
      unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
      ...(hooks.egress ? { outboundService: { type: 'fetcher' as const, handler: hooks.egress(spec.script) } } : {}),
    },
  };
}
