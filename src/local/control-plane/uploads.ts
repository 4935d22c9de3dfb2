import { ApiError, CfCode, errors } from '../net/envelope.js';
import { type Binding, newId, type ScriptRecord, type VersionRecord } from '../store.js';
import { BINDING_NAME_RE, checkSecretSize, MAX_BINDINGS, rateLimitBinding } from './bindings.js';
import { AUTHOR, nextNumber, type PlaneContext } from './context.js';
import type { ParsedUpload } from './multipart.js';
import { type RequestContext, sourceOf, stringRecord } from './router.js';

const DEFAULT_COMPATIBILITY_DATE = '2025-01-01';
const SUPPORTED_BINDINGS = ['plain_text', 'json', 'secret_text', 'analytics_engine', 'version_metadata', 'kv_namespace', 'ratelimit'];

export interface UploadOrigin {
  /** "wrangler" or "api" (see sourceOf). */
  source: string;
  /** `?bindings_inherit=strict`: an `inherit` binding with nothing to inherit is an error, not skipped. */
  strictInherit: boolean;
}

export function originOf({ request, query }: RequestContext): UploadOrigin {
  return { source: sourceOf(request), strictInherit: query.get('bindings_inherit') === 'strict' };
}

/** Turns an upload into a version record (not yet saved) and its secret values. */
export async function versionFromUpload(
  plane: PlaneContext,
  name: string,
  script: ScriptRecord | undefined,
  upload: ParsedUpload,
  origin: UploadOrigin,
): Promise<{ version: VersionRecord; secrets: Record<string, string> }> {
  const { store } = plane;
  const { metadata, modules } = upload;
  if (!metadata.main_module) {
    if (metadata.body_part)
      throw errors.scriptInvalid('Service-worker syntax (body_part) is not supported by the local edge; upload ES modules (main_module).');
    throw errors.badRequest('metadata.main_module is required');
  }
  const main = modules.find((module) => module.name === metadata.main_module);
  if (!main) throw errors.badRequest(`No such module "${metadata.main_module}" (main_module) in the upload`);
  if (main.type !== 'esm' && main.type !== 'cjs') throw errors.scriptInvalid(`The main module "${main.name}" must be JavaScript`);
  const compatibilityDate = metadata.compatibility_date ?? DEFAULT_COMPATIBILITY_DATE;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(compatibilityDate)) throw errors.badRequest(`Invalid compatibility_date "${compatibilityDate}"`);
  const flags = metadata.compatibility_flags ?? [];
  if (!Array.isArray(flags) || flags.some((flag) => typeof flag !== 'string'))
    throw errors.badRequest('compatibility_flags must be an array of strings');

  const previous = script ? store.activeVersion(script) : undefined;
  const previousSecrets = previous && script ? store.secretValues(script.name, previous.id) : {};
  const bindings: Binding[] = [];
  const secrets: Record<string, string> = {};
  const add = (binding: Binding) => {
    if (!BINDING_NAME_RE.test(binding.name)) throw errors.badRequest(`Invalid binding name "${binding.name}"`);
    if (bindings.some((b) => b.name === binding.name)) throw errors.badRequest(`Binding name "${binding.name}" is used twice`);
    bindings.push(binding);
  };
  for (const raw of metadata.bindings ?? []) {
    if (!raw || typeof raw.name !== 'string' || typeof raw.type !== 'string')
      throw errors.badRequest('Every binding needs a "name" and a "type"');
    switch (raw.type) {
      case 'plain_text':
        if (typeof raw.text !== 'string') throw errors.badRequest(`Binding "${raw.name}": plain_text needs "text"`);
        add({ type: 'plain_text', name: raw.name, text: raw.text });
        break;
      case 'json':
        add({ type: 'json', name: raw.name, json: raw.json ?? null });
        break;
      case 'secret_text':
        if (typeof raw.text !== 'string') throw errors.badRequest(`Binding "${raw.name}": secret_text needs "text"`);
        checkSecretSize(raw.name, raw.text);
        add({ type: 'secret_text', name: raw.name });
        secrets[raw.name] = raw.text;
        break;
      case 'analytics_engine':
        add({ type: 'analytics_engine', name: raw.name, dataset: typeof raw.dataset === 'string' ? raw.dataset : raw.name });
        break;
      case 'version_metadata':
        add({ type: 'version_metadata', name: raw.name });
        break;
      case 'kv_namespace': {
        const id = raw.namespace_id;
        if (typeof id !== 'string' || id === '') throw errors.badRequest(`Binding "${raw.name}": kv_namespace needs "namespace_id"`);
        // Cloudflare refuses an upload that binds a namespace the account does not have.
        if (!plane.kv?.namespaces.get(id))
          throw new ApiError(
            400,
            CfCode.kvNamespaceInvalid,
            `KV namespace '${id}' is not valid. Please verify the namespace_id in your configuration.`,
          );
        add({ type: 'kv_namespace', name: raw.name, namespace_id: id });
        break;
      }
      case 'ratelimit':
        add(rateLimitBinding(raw));
        break;
      case 'inherit': {
        const oldName = typeof raw.old_name === 'string' ? raw.old_name : raw.name;
        const old = previous?.bindings.find((b) => b.name === oldName);
        if (!old) {
          if (origin.strictInherit)
            throw errors.badRequest(`Binding "${raw.name}" cannot be inherited: the current version has no binding "${oldName}"`);
          break;
        }
        add({ ...old, name: raw.name });
        if (old.type === 'secret_text' && previousSecrets[oldName] !== undefined) secrets[raw.name] = previousSecrets[oldName] as string;
        break;
      }
      default:
        throw errors.scriptInvalid(
          `Binding "${raw.name}" has type "${raw.type}", which the local edge does not run (supported: ${SUPPORTED_BINDINGS.join(', ')}).`,
        );
    }
  }
  for (const type of metadata.keep_bindings ?? []) {
    for (const old of previous?.bindings ?? []) {
      if (old.type !== type || bindings.some((b) => b.name === old.name)) continue;
      bindings.push(old);
      if (old.type === 'secret_text' && previousSecrets[old.name] !== undefined) secrets[old.name] = previousSecrets[old.name] as string;
    }
  }
  if (bindings.length > MAX_BINDINGS)
    throw errors.badRequest(`Too many bindings (${bindings.length}); a worker may have at most ${MAX_BINDINGS}`);

  const refs = await store.putModules(name, modules);
  const version: VersionRecord = {
    id: newId(),
    number: nextNumber(script),
    created_on: plane.now(),
    source: origin.source,
    author_email: AUTHOR,
    annotations: { 'workers/triggered_by': 'upload', ...stringRecord(metadata.annotations) },
    main_module: metadata.main_module,
    compatibility_date: compatibilityDate,
    compatibility_flags: flags,
    usage_model: 'standard',
    modules: refs,
    bindings,
  };
  return { version, secrets };
}

/** The script-level settings an upload's metadata and the settings routes may carry; absent ones stay as they are. */
export function applyScriptSettings(record: ScriptRecord, body: Record<string, unknown>): void {
  if (Array.isArray(body.tags)) record.tags = body.tags.filter((tag): tag is string => typeof tag === 'string');
  if (typeof body.logpush === 'boolean') record.logpush = body.logpush;
  if ('observability' in body) record.observability = body.observability ?? null;
  if ('tail_consumers' in body) record.tail_consumers = body.tail_consumers ?? null;
  if ('placement' in body) record.placement = body.placement ?? null;
}
