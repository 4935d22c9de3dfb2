import type { UploadBinding } from '../../../cloudflare/worker-upload.js';
import type { WranglerEnv } from '../../../config/wrangler-config.js';
import type { Client, Fleet } from '../../../fleet/fleet.js';

/**
 * What `wrangler deploy --env <client>` would make of a client's env section, read the way wrangler
 * reads it (an env inherits the top level's build and runtime settings, never its bindings), or
 * `wrangler deploy` of the top level for the default worker (its section is the top level), for
 * the direct upload: the settings that shape the bundle, and those that travel with each version.
 * A section that uses anything the direct upload does not reproduce is shipped by wrangler instead.
 */

/** Settings an env inherits from the top level; those that change the bundle form its build key. */
const BUILD_KEYS = [
  'main',
  'compatibility_date',
  'compatibility_flags',
  'minify',
  'keep_names',
  'tsconfig',
  'jsx_factory',
  'jsx_fragment',
  'alias',
  'upload_source_maps',
] as const;
/** Handled too, but they do not change the bundle. */
const RUNTIME_KEYS = ['observability', 'workers_dev', 'preview_urls'] as const;
/** Only in an env section: its name and bindings (`define` changes the bundle). */
const ENV_ONLY_KEYS = ['name', 'vars', 'analytics_engine_datasets', 'kv_namespaces', 'ratelimits', 'version_metadata', 'define'] as const;
/** Top-level keys that never reach an env's deploy, or are not about the deploy at all. */
const TOP_LEVEL_IGNORED = new Set(['$schema', 'name', 'account_id', 'env', 'dev', 'send_metrics']);
/** Wrangler does not let an env inherit these from the top level (bindings and the like). */
const NOT_INHERITED = new Set([
  'vars',
  'define',
  'secrets',
  'durable_objects',
  'workflows',
  'kv_namespaces',
  'cloudchamber',
  'containers',
  'send_email',
  'queues',
  'vectorize',
  'hyperdrive',
  'services',
  'analytics_engine_datasets',
  'dispatch_namespaces',
  'mtls_certificates',
  'tail_consumers',
  'streaming_tail_consumers',
  'unsafe',
  'browser',
  'ai',
  'images',
  'pipelines',
  'secrets_store_secrets',
  'version_metadata',
  'r2_buckets',
  'd1_databases',
  'ratelimits',
  'worker_loaders',
]);

export interface ClientSettings {
  client: Client;
  /** Why only wrangler can ship this client (a setting the direct upload does not reproduce); undefined when it can. */
  wranglerOnly: string | undefined;
  /** Clients with equal keys share one bundle. */
  buildKey: string;
  compatibilityDate: string | undefined;
  compatibilityFlags: string[];
  /** undefined when the config says nothing (then the worker's setting is left as it is). */
  observability: unknown;
  sourceMaps: boolean;
  previewUrls: boolean | undefined;
  /** The tags wrangler gives an env's worker, grouping it with its siblings in the dashboard. */
  tags: string[];
  /** Vars, KV namespaces and datasets, in the order wrangler lists them (secrets are added per upload). */
  bindings: UploadBinding[];
}

export function clientSettings(fleet: Fleet, client: Client): ClientSettings {
  const top = fleet.config as Record<string, unknown>;
  const env = client.env as WranglerEnv & Record<string, unknown>;
  const effective = (key: string): unknown => (key in env ? env[key] : top[key]);
  const build = Object.fromEntries([...BUILD_KEYS.map((key) => [key, effective(key)]), ['define', env.define]]);
  const flags = effective('compatibility_flags');
  return {
    client,
    wranglerOnly: wranglerOnlyReason(top, env),
    buildKey: JSON.stringify(build),
    compatibilityDate: stringOr(effective('compatibility_date')),
    compatibilityFlags: Array.isArray(flags) ? flags.filter((flag): flag is string => typeof flag === 'string') : [],
    observability: effective('observability'),
    sourceMaps: effective('upload_source_maps') !== false,
    previewUrls: typeof effective('preview_urls') === 'boolean' ? (effective('preview_urls') as boolean) : undefined,
    tags: serviceTags(fleet, client),
    bindings: bindingsOf(env),
  };
}

/** wrangler tags an env's worker with its service and env, and the top-level worker with its service only. */
function serviceTags(fleet: Fleet, client: Client): string[] {
  if (!fleet.topLevelName) return [];
  const service = `cf:service=${fleet.topLevelName}`;
  return client.envName === undefined ? [service] : [service, `cf:environment=${client.envName}`];
}

function wranglerOnlyReason(top: Record<string, unknown>, env: Record<string, unknown>): string | undefined {
  const known = new Set<string>([...BUILD_KEYS, ...RUNTIME_KEYS]);
  const inherited = Object.keys(top).filter((key) => !TOP_LEVEL_IGNORED.has(key) && !NOT_INHERITED.has(key) && !known.has(key));
  const own = Object.keys(env).filter((key) => !known.has(key) && !(ENV_ONLY_KEYS as readonly string[]).includes(key));
  const unsupported = [...new Set([...own, ...inherited.filter((key) => !(key in env))])];
  if (unsupported.length > 0) return `uses ${unsupported.map((key) => `"${key}"`).join(', ')}, which only wrangler deploys`;
  if ((env.workers_dev ?? top.workers_dev) === false) return 'has "workers_dev": false, which only wrangler deploys';
  const datasets = env.analytics_engine_datasets;
  if (Array.isArray(datasets) && datasets.some((entry) => typeof (entry as { binding?: unknown }).binding !== 'string')) {
    return 'has an analytics_engine_datasets entry without a binding name';
  }
  const ratelimits = env.ratelimits;
  if (ratelimits !== undefined && (!Array.isArray(ratelimits) || !ratelimits.every(isRateLimit))) {
    return 'has a ratelimits entry the direct upload does not reproduce (it needs name, namespace_id and simple)';
  }
  if (env.version_metadata !== undefined && versionMetadataBinding(env) === undefined) {
    return 'has a version_metadata without a binding name';
  }
  return undefined;
}

/** Only what wrangler sends for a ratelimit: anything more (or less) goes through wrangler, which knows it. */
function isRateLimit(entry: unknown): boolean {
  const { name, namespace_id, simple, ...rest } = (entry ?? {}) as Record<string, unknown>;
  return (
    typeof name === 'string' &&
    typeof namespace_id === 'string' &&
    typeof simple === 'object' &&
    simple !== null &&
    Object.keys(rest).length === 0
  );
}

function versionMetadataBinding(env: Record<string, unknown>): string | undefined {
  const section = env.version_metadata as { binding?: unknown } | undefined;
  return typeof section?.binding === 'string' ? section.binding : undefined;
}

/**
 * Wrangler's order: vars as plain_text (strings) then json (anything else), then (after secrets) the
 * KV namespaces, the rate limits, the datasets, then version metadata.
 */
function bindingsOf(env: WranglerEnv): UploadBinding[] {
  const vars = Object.entries(env.vars ?? {});
  const namespaces = env.kv_namespaces ?? [];
  const datasets = env.analytics_engine_datasets ?? [];
  const ratelimits = env.ratelimits ?? [];
  const versionMetadata = versionMetadataBinding(env);
  return [
    ...vars.filter(([, value]) => typeof value === 'string').map(([name, text]) => ({ name, type: 'plain_text', text })),
    ...vars.filter(([, value]) => typeof value !== 'string').map(([name, json]) => ({ name, type: 'json', json })),
    ...namespaces.map((entry) => ({ name: entry.binding, type: 'kv_namespace', namespace_id: entry.id })),
    ...ratelimits.map((entry) => ({ name: entry.name, type: 'ratelimit', namespace_id: entry.namespace_id, simple: entry.simple })),
    ...datasets.map((entry) => ({
      name: entry.binding,
      type: 'analytics_engine',
      ...(entry.dataset === undefined ? {} : { dataset: entry.dataset }),
    })),
    ...(versionMetadata === undefined ? [] : [{ name: versionMetadata, type: 'version_metadata' }]),
  ];
}

/** The upload's bindings: vars, then the secrets (in file order), then the other bindings in wrangler's order, as wrangler sends them. */
export function uploadBindings(settings: ClientSettings, secrets: ReadonlyMap<string, string>): UploadBinding[] {
  const afterSecrets = (binding: UploadBinding) => binding.type !== 'plain_text' && binding.type !== 'json';
  return [
    ...settings.bindings.filter((binding) => !afterSecrets(binding)),
    ...[...secrets].map(([name, text]) => ({ name, type: 'secret_text', text })),
    ...settings.bindings.filter(afterSecrets),
  ];
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
