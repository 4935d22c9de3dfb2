import { timingSafeEqual } from 'node:crypto';
import { ApiError, errors, ok, paged, type ApiResponse } from './envelope.js';
import { parseUpload, type ParsedUpload } from './multipart.js';
import type { SyncResult } from './runtime.js';
import {
  newId,
  newTag,
  type Binding,
  type DeploymentRecord,
  type EdgeStore,
  type ScriptRecord,
  type SecretsByVersion,
  type VersionRecord,
} from './store.js';

/**
 * The part of the Cloudflare v4 API that wrangler (deploy, secret, deployments) and mcp-fleet use,
 * answered over the edge's store. Paths are relative to /client/v4. Every answer is Cloudflare's
 * envelope; every failure a Cloudflare error code. Mutations persist first, then ask the runtime to
 * sync; an upload whose code fails to start is rolled back and answered with 10021.
 */

export interface ControlPlaneOptions {
  store: EdgeStore;
  /** Applies the store's state to the runtime. */
  sync: () => Promise<SyncResult>;
  /** The account's workers.dev subdomain name (fixed). */
  subdomain?: string;
  now?: () => Date;
}

export interface RoutedResponse extends ApiResponse {
  /** The matched route pattern (for the request log), or null. */
  route: string | null;
  /** The worker named in the path, if any. */
  script: string | null;
}

export interface ControlPlane {
  handle(request: Request, path: string): Promise<RoutedResponse>;
  /** True when the request carries the edge's token. */
  authorized(request: Request): boolean;
}

interface Ctx {
  request: Request;
  params: Record<string, string>;
  query: URLSearchParams;
}

type Handler = (ctx: Ctx) => Promise<ApiResponse>;

interface Route {
  method: string;
  pattern: string;
  regex: RegExp;
  keys: string[];
  handler: Handler;
}

const AUTHOR = 'edge@mcp-fleet.localhost';
const DEFAULT_COMPATIBILITY_DATE = '2025-01-01';
const MAX_BINDINGS = 128;
const MAX_SECRET_BYTES = 5 * 1024;
const MAX_BULK = 100;
const NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const BINDING_NAME_RE = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const SUPPORTED_BINDINGS = ['plain_text', 'json', 'secret_text', 'analytics_engine'];

export function createControlPlane(options: ControlPlaneOptions): ControlPlane {
  const { store } = options;
  const accountId = store.identity.accountId;
  const subdomain = options.subdomain ?? 'local';
  const now = () => (options.now ?? (() => new Date()))().toISOString();
  const routes: Route[] = [];
  const route = (method: string, pattern: string, handler: Handler) => routes.push(compile(method, pattern, handler));

  // ---- helpers over the store ------------------------------------------------------------------

  function requireScript(name: string): ScriptRecord {
    const script = store.getScript(name);
    if (!script) throw errors.scriptNotFound(name);
    return script;
  }

  function sourceOf(request: Request): string {
    return /wrangler/i.test(request.headers.get('user-agent') ?? '') ? 'wrangler' : 'api';
  }

  function newScript(name: string, at: string): ScriptRecord {
    return {
      name,
      tag: newTag(),
      etag: newTag(),
      created_on: at,
      modified_on: at,
      last_deployed_from: 'api',
      tags: [],
      logpush: false,
      observability: null,
      tail_consumers: null,
      placement: null,
      subdomain: { enabled: false, previews_enabled: false },
      versions: [],
      deployments: [],
    };
  }

  function nextNumber(script: ScriptRecord | undefined): number {
    return Math.max(0, ...(script?.versions.map((v) => v.number) ?? [])) + 1;
  }

  function deploymentOf(versions: DeploymentRecord['versions'], source: string, annotations: Record<string, string>): DeploymentRecord {
    return { id: newId(), created_on: now(), source, strategy: 'percentage', author_email: AUTHOR, annotations, versions };
  }

  /** Turns an upload into a version record (not yet saved) and its secret values. */
  async function versionFromUpload(
    name: string,
    script: ScriptRecord | undefined,
    upload: ParsedUpload,
    ctx: Ctx,
  ): Promise<{ version: VersionRecord; secrets: Record<string, string> }> {
    const { metadata, modules } = upload;
    if (!metadata.main_module) {
      if (metadata.body_part) throw errors.scriptInvalid('Service-worker syntax (body_part) is not supported by the local edge; upload ES modules (main_module).');
      throw errors.badRequest('metadata.main_module is required');
    }
    const main = modules.find((module) => module.name === metadata.main_module);
    if (!main) throw errors.badRequest(`No such module "${metadata.main_module}" (main_module) in the upload`);
    if (main.type !== 'esm' && main.type !== 'cjs') throw errors.scriptInvalid(`The main module "${main.name}" must be JavaScript`);
    const compatibilityDate = metadata.compatibility_date ?? DEFAULT_COMPATIBILITY_DATE;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(compatibilityDate)) throw errors.badRequest(`Invalid compatibility_date "${compatibilityDate}"`);
    const flags = metadata.compatibility_flags ?? [];
    if (!Array.isArray(flags) || flags.some((flag) => typeof flag !== 'string')) throw errors.badRequest('compatibility_flags must be an array of strings');

    const previous = script ? store.activeVersion(script) : undefined;
    const previousSecrets = previous && script ? store.secretValues(script.name, previous.id) : {};
    const strictInherit = ctx.query.get('bindings_inherit') === 'strict';
    const bindings: Binding[] = [];
    const secrets: Record<string, string> = {};
    const add = (binding: Binding) => {
      if (!BINDING_NAME_RE.test(binding.name)) throw errors.badRequest(`Invalid binding name "${binding.name}"`);
      if (bindings.some((b) => b.name === binding.name)) throw errors.badRequest(`Binding name "${binding.name}" is used twice`);
      bindings.push(binding);
    };
    for (const raw of metadata.bindings ?? []) {
      if (!raw || typeof raw.name !== 'string' || typeof raw.type !== 'string') throw errors.badRequest('Every binding needs a "name" and a "type"');
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
        case 'inherit': {
          const oldName = typeof raw.old_name === 'string' ? raw.old_name : raw.name;
          const old = previous?.bindings.find((b) => b.name === oldName);
          if (!old) {
            if (strictInherit) throw errors.badRequest(`Binding "${raw.name}" cannot be inherited: the current version has no binding "${oldName}"`);
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
    if (bindings.length > MAX_BINDINGS) throw errors.badRequest(`Too many bindings (${bindings.length}); a worker may have at most ${MAX_BINDINGS}`);

    const refs = await store.putModules(name, modules);
    const version: VersionRecord = {
      id: newId(),
      number: nextNumber(script),
      created_on: now(),
      source: sourceOf(ctx.request),
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

  /** Syncs the runtime; if `name` failed to start, undoes `undo` and answers 10021. Returns the sync time. */
  async function syncOrRollback(name: string, undo: () => Promise<void>): Promise<number> {
    const started = performance.now();
    const result = await options.sync();
    const failure = result.failures[name];
    if (failure === undefined) return Math.round(performance.now() - started);
    await store.exclusive(undo);
    await options.sync();
    throw errors.scriptInvalid(failure);
  }

  /** Removes one version (and deployments that run it) from a script; drops the script if nothing is left. */
  function removeVersion(name: string, versionId: string): () => Promise<void> {
    return async () => {
      const current = store.getScript(name);
      if (!current) return;
      const record = structuredClone(current);
      record.versions = record.versions.filter((v) => v.id !== versionId);
      record.deployments = record.deployments.filter((d) => !d.versions.some((v) => v.version_id === versionId));
      if (record.deployments.length === 0 && record.versions.length === 0) {
        await store.deleteScript(name);
        return;
      }
      const secrets = store.secretsOf(name);
      delete secrets[versionId];
      await store.saveScript(record, secrets);
    };
  }

  /** Secrets can change only while the newest version is the one deployed at 100% (Cloudflare's rule). */
  function requireLatestDeployed(script: ScriptRecord): VersionRecord {
    const latest = script.versions[0];
    const live = script.deployments[0];
    const active = store.activeVersion(script);
    if (!latest || !live || !active || live.versions.length !== 1 || live.versions[0]?.version_id !== latest.id) {
      throw new ApiError(
        400,
        10215,
        "Secret edit failed. You attempted to modify a secret, but the latest version of your Worker isn't currently deployed. Please ensure that the latest version of your Worker is fully deployed (wrangler versions deploy) before modifying secrets.",
      );
    }
    return active;
  }

  /** Applies a change to a worker's secrets as a new version, deployed at once (as Cloudflare does). */
  async function changeSecrets(
    name: string,
    request: Request,
    change: (secrets: Record<string, string>, bindings: Binding[]) => void,
  ): Promise<{ bindings: Binding[] }> {
    const result = await store.exclusive(async () => {
      const script = requireScript(name);
      const active = requireLatestDeployed(script);
      const secrets = store.secretValues(name, active.id);
      const bindings = structuredClone(active.bindings);
      change(secrets, bindings);
      const version: VersionRecord = {
        ...structuredClone(active),
        id: newId(),
        number: nextNumber(script),
        created_on: now(),
        source: sourceOf(request),
        annotations: { 'workers/triggered_by': 'secret' },
        bindings,
      };
      const record = structuredClone(script);
      record.versions.unshift(version);
      record.deployments.unshift(deploymentOf([{ version_id: version.id, percentage: 100 }], sourceOf(request), { 'workers/triggered_by': 'secret' }));
      record.modified_on = version.created_on;
      const all = store.secretsOf(name);
      all[version.id] = secrets;
      await store.saveScript(record, all);
      return { bindings };
    });
    await options.sync();
    return result;
  }

  function secretList(bindings: Binding[]): Array<{ name: string; type: string }> {
    return bindings.filter((b) => b.type === 'secret_text').map((b) => ({ name: b.name, type: 'secret_text' }));
  }

  function setSecret(secrets: Record<string, string>, bindings: Binding[], name: unknown, text: unknown, type: unknown): void {
    if (typeof name !== 'string' || !BINDING_NAME_RE.test(name)) throw errors.badRequest(`Invalid secret name ${JSON.stringify(name)}`);
    if (type !== undefined && type !== 'secret_text') throw errors.badRequest(`Secret "${name}": type must be "secret_text"`);
    if (typeof text !== 'string') throw errors.badRequest(`Secret "${name}": "text" must be a string`);
    checkSecretSize(name, text);
    const existing = bindings.find((b) => b.name === name);
    if (existing && existing.type !== 'secret_text') throw new ApiError(400, 10053, `Binding name '${name}' already in use by a ${existing.type} binding`);
    if (!existing) {
      if (bindings.length >= MAX_BINDINGS) throw errors.badRequest(`Too many bindings; a worker may have at most ${MAX_BINDINGS}`);
      bindings.push({ type: 'secret_text', name });
    }
    secrets[name] = text;
  }

  function deleteSecret(secrets: Record<string, string>, bindings: Binding[], name: string): boolean {
    const index = bindings.findIndex((b) => b.name === name && b.type === 'secret_text');
    if (index === -1) return false;
    bindings.splice(index, 1);
    delete secrets[name];
    return true;
  }

  // ---- shapes ------------------------------------------------------------------------------------

  function scriptObject(script: ScriptRecord, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const active = store.activeVersion(script);
    return {
      id: script.name,
      tag: script.tag,
      etag: script.etag,
      handlers: ['fetch'],
      named_handlers: [],
      created_on: script.created_on,
      modified_on: script.modified_on,
      usage_model: 'standard',
      compatibility_date: active?.compatibility_date ?? null,
      compatibility_flags: active?.compatibility_flags ?? [],
      logpush: script.logpush,
      tags: script.tags,
      tail_consumers: script.tail_consumers,
      observability: script.observability,
      placement_mode: null,
      has_assets: false,
      has_modules: true,
      last_deployed_from: script.last_deployed_from,
      deployment_id: active?.id ?? null,
      ...extra,
    };
  }

  function versionObject(script: ScriptRecord, version: VersionRecord): Record<string, unknown> {
    return {
      id: version.id,
      number: version.number,
      metadata: {
        author_email: version.author_email,
        author_id: 'local',
        created_on: version.created_on,
        modified_on: version.created_on,
        source: version.source,
        hasPreview: false,
      },
      annotations: version.annotations,
      resources: {
        script: { etag: script.etag, handlers: ['fetch'], last_deployed_from: script.last_deployed_from },
        script_runtime: {
          compatibility_date: version.compatibility_date,
          compatibility_flags: version.compatibility_flags,
          usage_model: version.usage_model,
          limits: { cpu_ms: 30_000 },
        },
        bindings: version.bindings,
      },
    };
  }

  function settingsObject(script: ScriptRecord): Record<string, unknown> {
    const active = store.activeVersion(script);
    return {
      bindings: active?.bindings ?? [],
      compatibility_date: active?.compatibility_date ?? null,
      compatibility_flags: active?.compatibility_flags ?? [],
      logpush: script.logpush,
      observability: script.observability,
      placement: script.placement ?? {},
      tags: script.tags,
      tail_consumers: script.tail_consumers,
      usage_model: 'standard',
      limits: { cpu_ms: 30_000 },
    };
  }

  function scriptSettingsObject(script: ScriptRecord): Record<string, unknown> {
    return { logpush: script.logpush, observability: script.observability, tags: script.tags, tail_consumers: script.tail_consumers };
  }

  async function updateScript(name: string, change: (record: ScriptRecord) => void): Promise<ScriptRecord> {
    return store.exclusive(async () => {
      const record = structuredClone(requireScript(name));
      change(record);
      await store.saveScript(record, store.secretsOf(name));
      return record;
    });
  }

  function applyScriptSettings(record: ScriptRecord, body: Record<string, unknown>): void {
    if (Array.isArray(body.tags)) record.tags = body.tags.filter((tag): tag is string => typeof tag === 'string');
    if (typeof body.logpush === 'boolean') record.logpush = body.logpush;
    if ('observability' in body) record.observability = body.observability ?? null;
    if ('tail_consumers' in body) record.tail_consumers = body.tail_consumers ?? null;
    if ('placement' in body) record.placement = body.placement ?? null;
  }

  // ---- account and user --------------------------------------------------------------------------

  const account = () => ({ id: accountId, name: 'mcp-fleet local edge', type: 'standard', settings: {}, created_on: '2025-01-01T00:00:00Z' });
  route('GET', '/accounts', async () => ok([account()], { resultInfo: { page: 1, per_page: 20, count: 1, total_count: 1, total_pages: 1 } }));
  route('GET', '/accounts/:account', async () => ok(account()));
  route('GET', '/memberships', async () =>
    ok([{ id: 'local-membership', status: 'accepted', account: { id: accountId, name: account().name }, roles: ['Administrator'], permissions: {} }]),
  );
  route('GET', '/user', async () => ok({ id: 'local', email: AUTHOR, first_name: null, last_name: null }));
  route('GET', '/user/tokens/verify', async () => ok({ id: 'local-token', status: 'active' }));
  route('GET', '/accounts/:account/tokens/verify', async () => ok({ id: 'local-token', status: 'active' }));
  route('GET', '/accounts/:account/workers/account-settings', async () => ok({ default_usage_model: 'standard', green_compute: false }));
  route('GET', '/accounts/:account/workers/subdomain', async () => ok({ subdomain }));
  route('PUT', '/accounts/:account/workers/subdomain', async () => ok({ subdomain }));
  route('GET', '/accounts/:account/workers/domains', async () => ok([]));

  // ---- scripts -----------------------------------------------------------------------------------

  route('GET', '/accounts/:account/workers/scripts', async () => ok(store.listScripts().map((script) => scriptObject(script))));

  route('GET', '/accounts/:account/workers/services/:script', async ({ params }) => {
    const script = requireScript(params.script!);
    const env = { environment: 'production', created_on: script.created_on, modified_on: script.modified_on };
    return ok({
      id: script.name,
      default_environment: { ...env, script: scriptObject(script) },
      created_on: script.created_on,
      modified_on: script.modified_on,
      environments: [env],
    });
  });

  route('GET', '/accounts/:account/workers/workers/:script', async ({ params }) => {
    const script = requireScript(params.script!);
    return ok({
      id: script.tag,
      name: script.name,
      created_on: script.created_on,
      updated_on: script.modified_on,
      logpush: script.logpush,
      observability: script.observability ?? { enabled: false },
      subdomain: { ...script.subdomain },
      tags: script.tags,
      tail_consumers: script.tail_consumers ?? [],
    });
  });

  const uploadAndDeploy: Handler = async (ctx) => {
    const name = ctx.params.script!;
    if (!NAME_RE.test(name)) {
      throw new ApiError(400, 10016, `Invalid Worker name "${name}": use lowercase letters, digits and dashes (at most 63), not starting or ending with a dash`);
    }
    const upload = await parseUpload(ctx.request);
    const version = await store.exclusive(async () => {
      const existing = store.getScript(name);
      const { version, secrets } = await versionFromUpload(name, existing, upload, ctx);
      const record = structuredClone(existing ?? newScript(name, version.created_on));
      record.versions.unshift(version);
      record.deployments.unshift(deploymentOf([{ version_id: version.id, percentage: 100 }], version.source, { 'workers/triggered_by': 'upload' }));
      record.modified_on = version.created_on;
      record.etag = newTag();
      record.last_deployed_from = version.source;
      applyScriptSettings(record, upload.metadata as Record<string, unknown>);
      const all: SecretsByVersion = store.secretsOf(name);
      all[version.id] = secrets;
      await store.saveScript(record, all);
      return version;
    });
    const startupMs = await syncOrRollback(name, removeVersion(name, version.id));
    const script = requireScript(name);
    return ok(scriptObject(script, { deployment_id: version.id, startup_time_ms: startupMs }));
  };
  route('PUT', '/accounts/:account/workers/scripts/:script', uploadAndDeploy);

  const scriptContent: Handler = async ({ params }) => {
    const script = requireScript(params.script!);
    const active = store.activeVersion(script);
    const main = active?.modules.find((module) => module.name === active.main_module);
    if (!active || !main) throw errors.scriptNotFound(script.name);
    const contents = await store.readModule(script.name, main);
    return { status: 200, body: contents, headers: { 'content-type': main.contentType || 'application/javascript' } };
  };
  route('GET', '/accounts/:account/workers/scripts/:script', scriptContent);
  route('GET', '/accounts/:account/workers/scripts/:script/content/v2', scriptContent);

  route('DELETE', '/accounts/:account/workers/scripts/:script', async ({ params }) => {
    const name = params.script!;
    await store.exclusive(async () => {
      requireScript(name);
      await store.deleteScript(name);
    });
    await options.sync();
    return ok({ id: name });
  });

  route('GET', '/accounts/:account/workers/scripts/:script/settings', async ({ params }) => ok(settingsObject(requireScript(params.script!))));
  route('PATCH', '/accounts/:account/workers/scripts/:script/settings', async ({ params, request }) => {
    requireScript(params.script!);
    const body = await readSettingsBody(request);
    if (body.bindings !== undefined || body.compatibility_date !== undefined || body.compatibility_flags !== undefined) {
      throw errors.badRequest('Changing bindings or compatibility settings through /settings is not supported by the local edge; upload a new version instead');
    }
    const record = await updateScript(params.script!, (r) => applyScriptSettings(r, body));
    return ok(settingsObject(record));
  });
  route('GET', '/accounts/:account/workers/scripts/:script/script-settings', async ({ params }) => ok(scriptSettingsObject(requireScript(params.script!))));
  route('PATCH', '/accounts/:account/workers/scripts/:script/script-settings', async ({ params, request }) => {
    requireScript(params.script!);
    const body = await readJsonObject(request);
    const record = await updateScript(params.script!, (r) => applyScriptSettings(r, body));
    return ok(scriptSettingsObject(record));
  });

  route('GET', '/accounts/:account/workers/scripts/:script/subdomain', async ({ params }) => ok({ ...requireScript(params.script!).subdomain }));
  route('POST', '/accounts/:account/workers/scripts/:script/subdomain', async ({ params, request }) => {
    requireScript(params.script!);
    const body = await readJsonObject(request);
    if (typeof body.enabled !== 'boolean') throw errors.badRequest('"enabled" must be a boolean');
    const enabled = body.enabled;
    const previews = typeof body.previews_enabled === 'boolean' ? body.previews_enabled : enabled;
    const record = await updateScript(params.script!, (r) => {
      r.subdomain = { enabled, previews_enabled: previews };
    });
    return ok({ ...record.subdomain });
  });
  route('DELETE', '/accounts/:account/workers/scripts/:script/subdomain', async ({ params }) => {
    const record = await updateScript(params.script!, (r) => {
      r.subdomain = { enabled: false, previews_enabled: false };
    });
    return ok({ ...record.subdomain });
  });

  route('GET', '/accounts/:account/workers/scripts/:script/schedules', async ({ params }) => {
    requireScript(params.script!);
    return ok({ schedules: [] });
  });
  route('GET', '/accounts/:account/workers/scripts/:script/tails', async ({ params }) => {
    requireScript(params.script!);
    return ok([]);
  });

  // ---- secrets -----------------------------------------------------------------------------------

  route('GET', '/accounts/:account/workers/scripts/:script/secrets', async ({ params }) => {
    const script = requireScript(params.script!);
    return ok(secretList(store.activeVersion(script)?.bindings ?? []));
  });
  route('GET', '/accounts/:account/workers/scripts/:script/secrets/:secret', async ({ params }) => {
    const script = requireScript(params.script!);
    const found = secretList(store.activeVersion(script)?.bindings ?? []).find((s) => s.name === params.secret);
    if (!found) throw errors.secretNotFound(params.secret!);
    return ok(found);
  });
  route('PUT', '/accounts/:account/workers/scripts/:script/secrets', async ({ params, request }) => {
    requireScript(params.script!);
    const body = await readJsonObject(request);
    await changeSecrets(params.script!, request, (secrets, bindings) => setSecret(secrets, bindings, body.name, body.text, body.type));
    return ok({ name: body.name, type: 'secret_text' });
  });
  route('DELETE', '/accounts/:account/workers/scripts/:script/secrets/:secret', async ({ params, request }) => {
    const script = requireScript(params.script!);
    const secret = params.secret!;
    if (!secretList(store.activeVersion(script)?.bindings ?? []).some((s) => s.name === secret)) throw errors.secretNotFound(secret);
    await changeSecrets(params.script!, request, (secrets, bindings) => {
      if (!deleteSecret(secrets, bindings, secret)) throw errors.secretNotFound(secret);
    });
    return ok(null);
  });
  route('PATCH', '/accounts/:account/workers/scripts/:script/secrets-bulk', async ({ params, request }) => {
    requireScript(params.script!);
    const body = await readJsonObject(request);
    const entries = body.secrets;
    if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) throw errors.badRequest('"secrets" must be an object of name → secret or null');
    const list = Object.entries(entries as Record<string, unknown>);
    if (list.length > MAX_BULK) throw errors.badRequest(`At most ${MAX_BULK} secrets per request (got ${list.length})`);
    const { bindings } = await changeSecrets(params.script!, request, (secrets, current) => {
      for (const [key, value] of list) {
        if (value === null) {
          deleteSecret(secrets, current, key);
          continue;
        }
        if (typeof value !== 'object') throw errors.badRequest(`Secret "${key}" must be an object or null`);
        const entry = value as Record<string, unknown>;
        if (entry.name !== undefined && entry.name !== key) throw errors.badRequest(`Secret "${key}": name does not match its key`);
        setSecret(secrets, current, key, entry.text, entry.type);
      }
    });
    return ok(Object.fromEntries(secretList(bindings).map((s) => [s.name, s])));
  });

  // ---- versions and deployments ------------------------------------------------------------------

  route('GET', '/accounts/:account/workers/scripts/:script/versions', async ({ params, query }) => {
    const script = requireScript(params.script!);
    const page = positiveInt(query.get('page'), 1);
    const perPage = positiveInt(query.get('per_page'), 10);
    const { items, info } = paged(script.versions.map((v) => versionObject(script, v)), page, perPage);
    return ok({ items }, { resultInfo: info });
  });
  route('GET', '/accounts/:account/workers/scripts/:script/versions/:version', async ({ params }) => {
    const script = requireScript(params.script!);
    const version = script.versions.find((v) => v.id === params.version);
    if (!version) throw errors.versionNotFound(params.version!);
    return ok(versionObject(script, version));
  });
  route('POST', '/accounts/:account/workers/scripts/:script/versions', async (ctx) => {
    const name = ctx.params.script!;
    requireScript(name);
    const upload = await parseUpload(ctx.request);
    const version = await store.exclusive(async () => {
      const script = requireScript(name);
      const { version, secrets } = await versionFromUpload(name, script, upload, ctx);
      const record = structuredClone(script);
      record.versions.unshift(version);
      record.modified_on = version.created_on;
      applyScriptSettings(record, upload.metadata as Record<string, unknown>);
      const all = store.secretsOf(name);
      all[version.id] = secrets;
      await store.saveScript(record, all);
      return version;
    });
    return ok({ ...versionObject(requireScript(name), version), startup_time_ms: 0 });
  });

  route('GET', '/accounts/:account/workers/scripts/:script/deployments', async ({ params }) => {
    const script = requireScript(params.script!);
    return ok({ deployments: script.deployments });
  });
  route('GET', '/accounts/:account/workers/scripts/:script/deployments/:deployment', async ({ params }) => {
    const script = requireScript(params.script!);
    const deployment = script.deployments.find((d) => d.id === params.deployment);
    if (!deployment) throw new ApiError(404, 10231, `Deployment ${params.deployment} not found`);
    return ok(deployment);
  });
  route('POST', '/accounts/:account/workers/scripts/:script/deployments', async ({ params, request }) => {
    const name = params.script!;
    requireScript(name);
    const body = await readJsonObject(request);
    if (body.strategy !== undefined && body.strategy !== 'percentage') throw errors.badRequest('strategy must be "percentage"');
    const versions = parseDeploymentVersions(body.versions);
    const annotations = { 'workers/triggered_by': 'deployment', ...stringRecord(body.annotations) };
    const deployment = await store.exclusive(async () => {
      const script = requireScript(name);
      for (const v of versions) if (!script.versions.some((known) => known.id === v.version_id)) throw errors.versionNotFound(v.version_id);
      const record = structuredClone(script);
      const deployment = deploymentOf(versions, sourceOf(request), annotations);
      record.deployments.unshift(deployment);
      record.modified_on = deployment.created_on;
      record.last_deployed_from = deployment.source;
      await store.saveScript(record, store.secretsOf(name));
      return deployment;
    });
    await syncOrRollback(name, async () => {
      const current = store.getScript(name);
      if (!current) return;
      const record = structuredClone(current);
      record.deployments = record.deployments.filter((d) => d.id !== deployment.id);
      await store.saveScript(record, store.secretsOf(name));
    });
    return ok(deployment);
  });

  // ---- dispatch ----------------------------------------------------------------------------------

  function authorized(request: Request): boolean {
    const header = request.headers.get('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!match) return false;
    const given = Buffer.from(match[1]!.trim());
    const expected = Buffer.from(store.identity.token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  async function handle(request: Request, path: string): Promise<RoutedResponse> {
    const method = request.method.toUpperCase();
    const url = new URL(request.url);
    let matched: { route: Route; params: Record<string, string> } | undefined;
    let otherMethod = false;
    for (const candidate of routes) {
      const m = candidate.regex.exec(path);
      if (!m) continue;
      if (candidate.method !== method) {
        otherMethod = true;
        continue;
      }
      const params: Record<string, string> = {};
      candidate.keys.forEach((key, index) => {
        params[key] = safeDecode(m[index + 1] ?? '');
      });
      matched = { route: candidate, params };
      break;
    }
    const script = matched?.params.script ?? /\/workers\/(?:scripts|services|workers)\/([^/]+)/.exec(path)?.[1] ?? null;
    const routeName = matched ? `${matched.route.method} ${matched.route.pattern}` : null;
    const answer = (response: ApiResponse): RoutedResponse => ({ ...response, route: routeName, script });
    try {
      if (!authorized(request)) {
        // The token endpoints say "Invalid API Token" (1000), which wrangler's whoami relies on.
        if (/\/tokens\/verify$/.test(path)) throw new ApiError(401, 1000, 'Invalid API Token');
        throw errors.authentication();
      }
      if (!matched) throw otherMethod ? errors.methodNotAllowed(method, path) : errors.noRoute(method, path);
      if (matched.params.account !== undefined && matched.params.account !== accountId) throw errors.authentication();
      return answer(await matched.route.handler({ request, params: matched.params, query: url.searchParams }));
    } catch (error) {
      if (error instanceof ApiError) return answer(error.toResponse());
      return answer({ status: 500, body: { success: false, errors: [{ code: 10013, message: `Internal error in the local edge: ${describe(error)}` }], messages: [], result: null } });
    }
  }

  return { handle, authorized };
}

function compile(method: string, pattern: string, handler: Handler): Route {
  const keys: string[] = [];
  const source = pattern.replace(/:([a-z]+)/g, (_, key: string) => {
    keys.push(key);
    return '([^/]+)';
  });
  return { method, pattern, regex: new RegExp(`^${source}/?$`), keys, handler };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function checkSecretSize(name: string, text: string): void {
  if (Buffer.byteLength(text, 'utf8') > MAX_SECRET_BYTES) throw errors.badRequest(`Secret "${name}" is larger than ${MAX_SECRET_BYTES} bytes`);
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) if (typeof v === 'string') out[key] = v;
  return out;
}

function positiveInt(text: string | null, fallback: number): number {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

function parseDeploymentVersions(value: unknown): DeploymentRecord['versions'] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 2) throw errors.badRequest('"versions" must list one or two versions');
  const versions = value.map((entry: unknown) => {
    const v = entry as { version_id?: unknown; percentage?: unknown };
    if (typeof v?.version_id !== 'string' || typeof v.percentage !== 'number' || v.percentage < 0 || v.percentage > 100) {
      throw errors.badRequest('Each deployment version needs "version_id" and a "percentage" between 0 and 100');
    }
    return { version_id: v.version_id, percentage: v.percentage };
  });
  const total = versions.reduce((sum, v) => sum + v.percentage, 0);
  if (Math.abs(total - 100) > 1e-9) throw errors.badRequest(`Version percentages must add up to 100 (got ${total})`);
  return versions;
}

async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(await request.text());
  } catch {
    throw errors.badRequest('The request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw errors.badRequest('The request body must be a JSON object');
  return value as Record<string, unknown>;
}

/** PATCH …/settings takes multipart with a `settings` part (the SDK) or plain JSON. */
async function readSettingsBody(request: Request): Promise<Record<string, unknown>> {
  if ((request.headers.get('content-type') ?? '').toLowerCase().startsWith('multipart/form-data')) {
    const form = await request.formData().catch(() => {
      throw errors.badRequest('Malformed multipart body');
    });
    const part = form.get('settings');
    if (part === null) throw errors.badRequest('The request has no "settings" part');
    const text = typeof part === 'string' ? part : await part.text();
    try {
      const value = JSON.parse(text) as unknown;
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // fall through
    }
    throw errors.badRequest('The "settings" part must be a JSON object');
  }
  return readJsonObject(request);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
