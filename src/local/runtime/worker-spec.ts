import type { Binding, EdgeStore, ModuleType, ScriptRecord, VersionRecord } from '../store.js';

/**
 * What the runtime runs for one version of a worker: everything workerd needs, secret values
 * included. A worker with one version live runs one of these, under its own name; a worker whose
 * deployment splits traffic between two versions runs two (see splitInstanceName), and the edge's
 * proxy sends each request to one of them by the deployment's percentages (traffic-split.ts).
 */
export interface WorkerSpec {
  /** The runtime's name for this instance: the worker's name, or splitInstanceName() of it. */
  name: string;
  /** The worker (script) this is a version of. */
  script: string;
  versionId: string;
  /** Its share of the worker's traffic, as the deployment gives it. */
  percentage: number;
  compatibilityDate: string;
  compatibilityFlags: string[];
  mainModule: string;
  modules: WorkerModule[];
  /** plain_text vars and secret_text secrets (both are strings in env). */
  text: Record<string, string>;
  json: Record<string, unknown>;
  analytics: Array<{ binding: string; dataset: string }>;
  /** Workers KV bindings: the binding's name and the namespace id (the data is the edge's KV storage). */
  kv: Array<{ binding: string; namespaceId: string }>;
  /** Rate Limiting bindings; workerd counts them in memory, per namespace, for as long as the instance runs. */
  rateLimits: Array<{ binding: string; namespaceId: string; limit: number; period: 10 | 60 }>;
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

/**
 * The runtime name of a split deployment's second version. Worker names cannot hold an underscore
 * (they are DNS labels), so no deployed worker can be named like this.
 */
export function splitInstanceName(script: string): string {
  return `${script}__split`;
}

/** What the runtime should run for one stored script: each version its deployment serves, with that version's secrets. */
export async function workerSpecsOf(store: EdgeStore, script: ScriptRecord): Promise<WorkerSpec[]> {
  const primary = store.activeVersion(script);
  const deployment = script.deployments[0];
  if (!primary || !deployment) return [];
  const live = deployment.versions
    .map((share) => ({ share, version: script.versions.find((v) => v.id === share.version_id) }))
    .filter((entry): entry is { share: (typeof deployment.versions)[number]; version: VersionRecord } => entry.version !== undefined)
    // Newest first: the proxy's version keys then stay on the newer version as its share grows.
    .sort((a, b) => b.version.number - a.version.number);
  const specs: WorkerSpec[] = [];
  for (const { share, version } of live) {
    // The version with the largest share runs under the worker's own name, as a single version does.
    const name = version.id === primary.id ? script.name : splitInstanceName(script.name);
    if (specs.some((spec) => spec.name === name)) continue;
    specs.push(await versionSpec(store, script, version, name, share.percentage));
  }
  return specs;
}

async function versionSpec(
  store: EdgeStore,
  script: ScriptRecord,
  version: VersionRecord,
  name: string,
  percentage: number,
): Promise<WorkerSpec> {
  const secrets = store.secretValues(script.name, version.id);
  const text: Record<string, string> = {};
  const json: Record<string, unknown> = {};
  const analytics: WorkerSpec['analytics'] = [];
  const kv: WorkerSpec['kv'] = [];
  const rateLimits: WorkerSpec['rateLimits'] = [];
  for (const binding of version.bindings) {
    if (binding.type === 'plain_text' && typeof binding.text === 'string') text[binding.name] = binding.text;
    else if (binding.type === 'json') json[binding.name] = binding.json;
    else if (binding.type === 'secret_text' && secrets[binding.name] !== undefined) text[binding.name] = secrets[binding.name] as string;
    else if (binding.type === 'version_metadata') json[binding.name] = versionMetadataOf(version);
    else if (binding.type === 'analytics_engine')
      analytics.push({ binding: binding.name, dataset: typeof binding.dataset === 'string' ? binding.dataset : binding.name });
    else if (binding.type === 'kv_namespace' && typeof binding.namespace_id === 'string')
      kv.push({ binding: binding.name, namespaceId: binding.namespace_id });
    else if (binding.type === 'ratelimit') {
      const rateLimit = rateLimitOf(binding);
      if (rateLimit) rateLimits.push(rateLimit);
    }
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
    name,
    script: script.name,
    versionId: version.id,
    percentage,
    compatibilityDate: version.compatibility_date,
    compatibilityFlags: version.compatibility_flags,
    mainModule: version.main_module,
    modules,
    text,
    json,
    analytics,
    kv,
    rateLimits,
  };
}

/** A stored ratelimit binding as the runtime needs it (uploads.ts checked it on the way in). */
function rateLimitOf(binding: Binding): WorkerSpec['rateLimits'][number] | undefined {
  const simple = binding.simple as { limit?: unknown; period?: unknown } | undefined;
  const { namespace_id: namespaceId } = binding;
  if (typeof namespaceId !== 'string' || typeof simple?.limit !== 'number') return undefined;
  if (simple.period !== 10 && simple.period !== 60) return undefined;
  return { binding: binding.name, namespaceId, limit: simple.limit, period: simple.period };
}

function versionMetadataOf(version: { id: string; created_on: string; annotations?: Record<string, string> }): VersionMetadata {
  return { id: version.id, tag: version.annotations?.['workers/tag'] ?? '', timestamp: version.created_on };
}

/** Every live version of every script. */
export async function desiredWorkers(store: EdgeStore): Promise<WorkerSpec[]> {
  const specs: WorkerSpec[] = [];
  for (const script of store.listScripts()) specs.push(...(await workerSpecsOf(store, script)));
  return specs;
}
