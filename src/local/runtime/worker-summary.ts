import type { EdgeStore } from '../store.js';

/** One deployed worker as GET /__edge/workers answers it (and `mcp-fleet local status` shows it): names, never values. */
export interface WorkerSummary {
  name: string;
  url: string;
  /** Whether workerd runs it now (false when its code failed to start). */
  running: boolean;
  versionId: string | null;
  modifiedOn: string;
  vars: string[];
  secrets: string[];
  analytics: Array<{ binding: string; dataset: string }>;
}

export function summarizeWorkers(store: EdgeStore, running: readonly string[], urlOf: (name: string) => string): WorkerSummary[] {
  const runs = new Set(running);
  return store.listScripts().map((script) => {
    const version = store.activeVersion(script);
    const bindings = version?.bindings ?? [];
    return {
      name: script.name,
      url: urlOf(script.name),
      running: runs.has(script.name),
      versionId: version?.id ?? null,
      modifiedOn: script.modified_on,
      vars: bindings.filter((b) => b.type === 'plain_text' || b.type === 'json').map((b) => b.name),
      secrets: bindings.filter((b) => b.type === 'secret_text').map((b) => b.name),
      analytics: bindings
        .filter((b) => b.type === 'analytics_engine')
        .map((b) => ({ binding: b.name, dataset: typeof b.dataset === 'string' ? b.dataset : b.name })),
    };
  });
}
