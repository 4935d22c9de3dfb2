import { ApiError, CfCode, errors, ok, paged } from '../net/envelope.js';
import type { DeploymentRecord, EdgeStore, ScriptRecord, VersionRecord } from '../store.js';
import type { PlaneContext } from './context.js';
import { parseUpload } from './multipart.js';
import { positiveInt, type Router, readJsonObject, sourceOf, stringRecord } from './router.js';
import { checkFields, DEPLOYMENT, VERSION_UPLOAD } from './schema-fields.js';
import { originOf, versionFromUpload } from './uploads.js';

/** Versions (uploaded without deploying) and deployments (which versions run, at what percentage): `wrangler versions …`, `wrangler deployments …`. */
export function registerVersionRoutes(router: Router, plane: PlaneContext): void {
  const { route } = router;
  const { store, requireScript } = plane;

  route('GET', '/accounts/:account/workers/scripts/:script/versions', async ({ params, query }) => {
    const script = requireScript(params.script);
    const page = positiveInt(query.get('page'), 1);
    const perPage = positiveInt(query.get('per_page'), 10);
    const { items, info } = paged(
      script.versions.map((v) => versionObject(script, v)),
      page,
      perPage,
    );
    return ok({ items }, { resultInfo: info });
  });
  route('GET', '/accounts/:account/workers/scripts/:script/versions/:version', async ({ params }) => {
    const script = requireScript(params.script);
    const version = script.versions.find((v) => v.id === params.version);
    if (!version) throw errors.versionNotFound(params.version);
    return ok(versionObject(script, version));
  });
  route('POST', '/accounts/:account/workers/scripts/:script/versions', async (ctx) => {
    const name = ctx.params.script;
    requireScript(name);
    const upload = await parseUpload(ctx.request);
    // A version carries code, bindings and compatibility only: script-level settings are never taken from it.
    const { ignored, messages } = checkFields(VERSION_UPLOAD, upload.metadata);
    const version = await store.exclusive(async () => {
      const script = requireScript(name);
      const { version, secrets } = await versionFromUpload(plane, name, script, upload, originOf(ctx));
      await plane.saveVersion(structuredClone(script), version, secrets);
      return version;
    });
    return ok({ ...versionObject(requireScript(name), version), startup_time_ms: 0 }, { messages, ignored });
  });

  route('GET', '/accounts/:account/workers/workers/:script/versions/:version', async ({ params, query }) => {
    const script = store.getScript(params.script) ?? store.listScripts().find((s) => s.tag === params.script);
    if (!script) throw errors.scriptNotFound(params.script);
    const version = script.versions.find((v) => v.id === params.version);
    if (!version) throw errors.versionNotFound(params.version);
    return ok(await betaVersionObject(store, script, version, query.get('include') === 'modules'));
  });

  route('GET', '/accounts/:account/workers/scripts/:script/deployments', async ({ params }) => {
    const script = requireScript(params.script);
    return ok({ deployments: script.deployments });
  });
  route('GET', '/accounts/:account/workers/scripts/:script/deployments/:deployment', async ({ params }) => {
    const script = requireScript(params.script);
    const deployment = script.deployments.find((d) => d.id === params.deployment);
    if (!deployment) throw new ApiError(404, CfCode.deploymentNotFound, `Deployment ${params.deployment} not found`);
    return ok(deployment);
  });
  route('POST', '/accounts/:account/workers/scripts/:script/deployments', async ({ params, request, query }) => {
    const name = params.script;
    requireScript(name);
    const body = await readJsonObject(request);
    const { ignored, messages } = checkFields(DEPLOYMENT, body);
    if (body.strategy !== 'percentage') throw errors.badRequest('"strategy" is required and must be "percentage"');
    const versions = parseDeploymentVersions(body.versions);
    const annotations = { 'workers/triggered_by': 'deployment', ...stringRecord(body.annotations) };
    const force = query.get('force') === 'true';
    const deployment = await store.exclusive(async () => {
      const script = requireScript(name);
      for (const v of versions) if (!script.versions.some((known) => known.id === v.version_id)) throw errors.versionNotFound(v.version_id);
      if (!force) refuseRevivedSecrets(store, script, versions);
      const record = structuredClone(script);
      const deployment = plane.deploymentOf(versions, sourceOf(request), annotations);
      record.deployments.unshift(deployment);
      record.modified_on = deployment.created_on;
      record.last_deployed_from = deployment.source;
      await store.saveScript(record, store.secretsOf(name));
      return deployment;
    });
    await plane.syncOrRollback(name, async () => {
      const current = store.getScript(name);
      if (!current) return;
      const record = structuredClone(current);
      record.deployments = record.deployments.filter((d) => d.id !== deployment.id);
      await store.saveScript(record, store.secretsOf(name));
    });
    return ok(deployment, { messages, ignored });
  });
}

/**
 * Cloudflare refuses (10220) a deployment that would run a version whose secrets differ from the
 * newest version's: rolling back must not silently bring back a rotated-away key. `?force=true`
 * overrides it, as wrangler's rollback does after asking. Names only, never values.
 */
function refuseRevivedSecrets(store: EdgeStore, script: ScriptRecord, versions: DeploymentRecord['versions']): void {
  const newest = script.versions[0];
  if (!newest) return;
  const changed = new Set<string>();
  for (const v of versions) {
    if (v.version_id === newest.id) continue;
    for (const secret of store.changedSecrets(script.name, v.version_id, newest.id)) changed.add(secret);
  }
  if (changed.size === 0) return;
  throw new ApiError(
    400,
    CfCode.secretsChangedSinceVersion,
    `A secret has changed since this version was active. If you are sure this is ok, add a "force" query parameter set to true. The following secrets have changed: ${[...changed].sort().join(', ')}`,
  );
}

/**
 * A version with its code, as the Workers API (beta) answers `GET …/workers/workers/:worker/versions/:version`;
 * `?include=modules` adds each module's content (base64). The worker is named by its name or its id (tag).
 */
async function betaVersionObject(store: EdgeStore, script: ScriptRecord, version: VersionRecord, withModules: boolean) {
  const modules = withModules
    ? await Promise.all(
        version.modules.map(async (ref) => ({
          name: ref.name,
          content_type: ref.contentType,
          content_base64: Buffer.from(await store.readModule(script.name, ref)).toString('base64'),
        })),
      )
    : undefined;
  return {
    id: version.id,
    number: version.number,
    created_on: version.created_on,
    urls: [],
    annotations: version.annotations,
    author_email: version.author_email,
    bindings: version.bindings,
    compatibility_date: version.compatibility_date,
    compatibility_flags: version.compatibility_flags,
    main_module: version.main_module,
    source: version.source,
    usage_model: version.usage_model,
    ...(modules ? { modules } : {}),
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

/** The schema's bounds of a version's share: a version in a deployment serves at least 0.01 %. */
const MIN_PERCENTAGE = 0.01;
const MAX_PERCENTAGE = 100;

function parseDeploymentVersions(value: unknown): DeploymentRecord['versions'] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 2) throw errors.badRequest('"versions" must list one or two versions');
  const versions = value.map((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      throw errors.badRequest('Each deployment version must be an object');
    const extra = Object.keys(entry).filter((key) => key !== 'version_id' && key !== 'percentage');
    if (extra.length > 0)
      throw errors.badRequest(
        `A deployment version takes "version_id" and "percentage" only, not ${extra.map((k) => `"${k}"`).join(', ')}`,
      );
    const v = entry as { version_id?: unknown; percentage?: unknown };
    if (
      typeof v.version_id !== 'string' ||
      typeof v.percentage !== 'number' ||
      !Number.isFinite(v.percentage) ||
      v.percentage < MIN_PERCENTAGE ||
      v.percentage > MAX_PERCENTAGE
    ) {
      throw errors.badRequest(
        `Each deployment version needs "version_id" and a "percentage" from ${MIN_PERCENTAGE} to ${MAX_PERCENTAGE} (got ${JSON.stringify(v.percentage)})`,
      );
    }
    return { version_id: v.version_id, percentage: v.percentage };
  });
  const total = versions.reduce((sum, v) => sum + v.percentage, 0);
  if (Math.abs(total - 100) > 1e-9) throw errors.badRequest(`Version percentages must add up to 100 (got ${total})`);
  return versions;
}
