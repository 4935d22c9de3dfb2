import type { EdgeStore, ModuleType, ScriptRecord } from '../store.js';

/** What the runtime runs for one worker: everything workerd needs, secret values included. */
export interface WorkerSpec {
  name: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  mainModule: string;
  modules: WorkerModule[];
  /** plain_text vars and secret_text secrets (both are strings in env). */
  text: Record<string, string>;
  json: Record<string, unknown>;
  analytics: Array<{ binding: string; dataset: string }>;
}

/** What a version_metadata binding holds on Cloudflare: the id, tag and upload time of the version that runs. */
interface VersionMetadata {
  id: string;
  tag: string;
  timestamp: string;
}

export interface WorkerModule {
  name: string;
  type: ModuleType;
  /** sha256 of the contents, as the store keeps it (so a sync can tell what changed without hashing code again). */
  hash?: string;
  contents: Uint8Array;
}

/** What the runtime should run for one stored script: its live version with that version's secrets. */
export async function workerSpecOf(store: EdgeStore, script: ScriptRecord): Promise<WorkerSpec | undefined> {
  const version = store.activeVersion(script);
  if (!version) return undefined;
  const secrets = store.secretValues(script.name, version.id);
  const text: Record<string, string> = {};
  const json: Record<string, unknown> = {};
  const analytics: WorkerSpec['analytics'] = [];
  for (const binding of version.bindings) {
    if (binding.type === 'plain_text' && typeof binding.text === 'string') text[binding.name] = binding.text;
    else if (binding.type === 'json') json[binding.name] = binding.json;
    else if (binding.type === 'secret_text' && secrets[binding.name] !== undefined) text[binding.name] = secrets[binding.name] as string;
    else if (binding.type === 'version_metadata') json[binding.name] = versionMetadataOf(version);
    else if (binding.type === 'analytics_engine')
      analytics.push({ binding: binding.name, dataset: typeof binding.dataset === 'string' ? binding.dataset : binding.name });
  }
  const modules = await Promise.all(
    version.modules.map(async (ref) => ({
      name: ref.name,
      type: ref.type,
      hash: ref.hash,
      contents: await store.readModule(script.name, ref),
    })),
  );
  return {
    name: script.name,
    compatibilityDate: version.compatibility_date,
    compatibilityFlags: version.compatibility_flags,
    mainModule: version.main_module,
    modules,
    text,
    json,
    analytics,
  };
}

function versionMetadataOf(version: { id: string; created_on: string; annotations?: Record<string, string> }): VersionMetadata {
  return { id: version.id, tag: version.annotations?.['workers/tag'] ?? '', timestamp: version.created_on };
}

/** Every script that has a live version. */
export async function desiredWorkers(store: EdgeStore): Promise<WorkerSpec[]> {
  const specs: WorkerSpec[] = [];
  for (const script of store.listScripts()) {
    const spec = await workerSpecOf(store, script);
    if (spec) specs.push(spec);
  }
  return specs;
}
