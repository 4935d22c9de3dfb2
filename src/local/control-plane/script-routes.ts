import { ApiError, errors, ok } from '../net/envelope.js';
import { type EdgeStore, newTag, type ScriptRecord } from '../store.js';
import type { PlaneContext } from './context.js';
import { parseUpload } from './multipart.js';
import { type Handler, type Router, readJsonObject, readSettingsBody } from './router.js';
import { checkFields, SCRIPT_SETTINGS, SCRIPT_UPLOAD } from './schema-fields.js';
import { applyScriptSettings, originOf, versionFromUpload } from './uploads.js';

/** Cloudflare's rule for Worker names: they become a DNS label. */
const NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Workers as a whole: upload-and-deploy, content, delete, settings, workers.dev subdomain, and the empty schedules. */
export function registerScriptRoutes(router: Router, plane: PlaneContext): void {
  const { route } = router;
  const { store, requireScript, updateScript } = plane;

  route('GET', '/accounts/:account/workers/scripts', async () => ok(store.listScripts().map((script) => scriptObject(store, script))));

  route('GET', '/accounts/:account/workers/services/:script', async ({ params }) => {
    const script = requireScript(params.script);
    const env = { environment: 'production', created_on: script.created_on, modified_on: script.modified_on };
    return ok({
      id: script.name,
      default_environment: { ...env, script: scriptObject(store, script) },
      created_on: script.created_on,
      modified_on: script.modified_on,
      environments: [env],
    });
  });

  route('GET', '/accounts/:account/workers/workers/:script', async ({ params }) => {
    const script = requireScript(params.script);
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

  route('PUT', '/accounts/:account/workers/scripts/:script', async (ctx) => {
    const name = ctx.params.script;
    if (!NAME_RE.test(name)) {
      throw new ApiError(
        400,
        10016,
        `Invalid Worker name "${name}": use lowercase letters, digits and dashes (at most 63), not starting or ending with a dash`,
      );
    }
    const upload = await parseUpload(ctx.request);
    const { ignored, messages } = checkFields(SCRIPT_UPLOAD, upload.metadata);
    const version = await store.exclusive(async () => {
      const existing = store.getScript(name);
      const { version, secrets } = await versionFromUpload(plane, name, existing, upload, originOf(ctx));
      const record = structuredClone(existing ?? newScript(name, version.created_on));
      record.deployments.unshift(
        plane.deploymentOf([{ version_id: version.id, percentage: 100 }], version.source, { 'workers/triggered_by': 'upload' }),
      );
      record.etag = newTag();
      record.last_deployed_from = version.source;
      applyScriptSettings(record, upload.metadata);
      await plane.saveVersion(record, version, secrets);
      return version;
    });
    const startupMs = await plane.syncOrRollback(name, removeVersion(store, name, version.id));
    const script = requireScript(name);
    return ok(scriptObject(store, script, { deployment_id: version.id, startup_time_ms: startupMs }), { messages, ignored });
  });

  const scriptContent: Handler<':script'> = async ({ params }) => {
    const script = requireScript(params.script);
    const active = store.activeVersion(script);
    const main = active?.modules.find((module) => module.name === active.main_module);
    if (!active || !main) throw errors.scriptNotFound(script.name);
    const contents = await store.readModule(script.name, main);
    return { status: 200, body: contents, headers: { 'content-type': main.contentType || 'application/javascript' } };
  };
  route('GET', '/accounts/:account/workers/scripts/:script', scriptContent);
  route('GET', '/accounts/:account/workers/scripts/:script/content/v2', scriptContent);

  route('DELETE', '/accounts/:account/workers/scripts/:script', async ({ params }) => {
    await plane.deleteWorker(params.script);
    return ok({ id: params.script });
  });

  route('GET', '/accounts/:account/workers/scripts/:script/settings', async ({ params }) =>
    ok(settingsObject(store, requireScript(params.script))),
  );
  route('PATCH', '/accounts/:account/workers/scripts/:script/settings', async ({ params, request }) => {
    requireScript(params.script);
    const body = await readSettingsBody(request);
    if (body.bindings !== undefined || body.compatibility_date !== undefined || body.compatibility_flags !== undefined) {
      throw errors.badRequest(
        'Changing bindings or compatibility settings through /settings is not supported by the local edge; upload a new version instead',
      );
    }
    const record = await updateScript(params.script, (r) => applyScriptSettings(r, body));
    return ok(settingsObject(store, record));
  });
  route('GET', '/accounts/:account/workers/scripts/:script/script-settings', async ({ params }) =>
    ok(scriptSettingsObject(requireScript(params.script))),
  );
  route('PATCH', '/accounts/:account/workers/scripts/:script/script-settings', async ({ params, request }) => {
    requireScript(params.script);
    const body = await readJsonObject(request);
    checkFields(SCRIPT_SETTINGS, body);
    const record = await updateScript(params.script, (r) => applyScriptSettings(r, body));
    return ok(scriptSettingsObject(record));
  });

  route('GET', '/accounts/:account/workers/scripts/:script/subdomain', async ({ params }) =>
    ok({ ...requireScript(params.script).subdomain }),
  );
  route('POST', '/accounts/:account/workers/scripts/:script/subdomain', async ({ params, request }) => {
    requireScript(params.script);
    const body = await readJsonObject(request);
    if (typeof body.enabled !== 'boolean') throw errors.badRequest('"enabled" must be a boolean');
    const enabled = body.enabled;
    const previews = typeof body.previews_enabled === 'boolean' ? body.previews_enabled : enabled;
    const record = await updateScript(params.script, (r) => {
      r.subdomain = { enabled, previews_enabled: previews };
    });
    return ok({ ...record.subdomain });
  });
  route('DELETE', '/accounts/:account/workers/scripts/:script/subdomain', async ({ params }) => {
    const record = await updateScript(params.script, (r) => {
      r.subdomain = { enabled: false, previews_enabled: false };
    });
    return ok({ ...record.subdomain });
  });

  route('GET', '/accounts/:account/workers/scripts/:script/schedules', async ({ params }) => {
    requireScript(params.script);
    return ok({ schedules: [] });
  });
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

/** Undoes an upload whose code failed to start: drops its version (and deployments that run it), and the script if nothing is left. */
function removeVersion(store: EdgeStore, name: string, versionId: string): () => Promise<void> {
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

function scriptObject(store: EdgeStore, script: ScriptRecord, extra: Record<string, unknown> = {}): Record<string, unknown> {
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

function settingsObject(store: EdgeStore, script: ScriptRecord): Record<string, unknown> {
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
