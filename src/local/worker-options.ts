import type { MiniflareOptions } from 'miniflare';
import { analyticsBridge } from './analytics-bridge.js';
import type { DataPoint } from './analytics-store.js';
import type { ModuleType } from './store.js';
import type { WorkerSpec } from './worker-spec.js';

/** One worker as Miniflare runs it: modules, env bindings, and a direct loopback socket for the edge's proxy. */

export type MiniflareWorker = MiniflareOptions['workers'][number];
type Env = NonNullable<MiniflareWorker['config']['env']>;

export function workerOptions(spec: WorkerSpec, onDataPoint: ((point: DataPoint) => void) | undefined): MiniflareWorker {
  const env: Env = {};
  for (const [name, value] of Object.entries(spec.json)) env[name] = { type: 'json', value: value as never };
  for (const [name, value] of Object.entries(spec.text)) env[name] = { type: 'text', value };

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
    },
    dev: { unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }] },
  };
}
