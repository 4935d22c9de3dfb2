import { ApiError, errors, ok } from '../net/envelope.js';
import { type Binding, newId, type ScriptRecord, type VersionRecord } from '../store.js';
import { BINDING_NAME_RE, checkSecretSize, MAX_BINDINGS } from './bindings.js';
import { nextNumber, type PlaneContext } from './context.js';
import { type Router, readJsonObject, sourceOf } from './router.js';

const MAX_BULK = 100;

/** A worker's secrets: list, read, put, delete, and secrets-bulk. Every change is a new version, deployed at once. */
export function registerSecretRoutes(router: Router, plane: PlaneContext): void {
  const { route } = router;
  const { store, requireScript } = plane;
  const liveSecrets = (script: ScriptRecord) => secretList(store.activeVersion(script)?.bindings ?? []);

  route('GET', '/accounts/:account/workers/scripts/:script/secrets', async ({ params }) => ok(liveSecrets(requireScript(params.script))));
  route('GET', '/accounts/:account/workers/scripts/:script/secrets/:secret', async ({ params }) => {
    const found = liveSecrets(requireScript(params.script)).find((s) => s.name === params.secret);
    if (!found) throw errors.secretNotFound(params.secret);
    return ok(found);
  });
  route('PUT', '/accounts/:account/workers/scripts/:script/secrets', async ({ params, request }) => {
    requireScript(params.script);
    const body = await readJsonObject(request);
    await changeSecrets(plane, params.script, request, (secrets, bindings) =>
      setSecret(secrets, bindings, body.name, body.text, body.type),
    );
    return ok({ name: body.name, type: 'secret_text' });
  });
  route('DELETE', '/accounts/:account/workers/scripts/:script/secrets/:secret', async ({ params, request }) => {
    const secret = params.secret;
    if (!liveSecrets(requireScript(params.script)).some((s) => s.name === secret)) throw errors.secretNotFound(secret);
    await changeSecrets(plane, params.script, request, (secrets, bindings) => {
      if (!deleteSecret(secrets, bindings, secret)) throw errors.secretNotFound(secret);
    });
    return ok(null);
  });
  route('PATCH', '/accounts/:account/workers/scripts/:script/secrets-bulk', async ({ params, request }) => {
    requireScript(params.script);
    const body = await readJsonObject(request);
    const entries = body.secrets;
    if (typeof entries !== 'object' || entries === null || Array.isArray(entries))
      throw errors.badRequest('"secrets" must be an object of name → secret or null');
    const list = Object.entries(entries as Record<string, unknown>);
    if (list.length > MAX_BULK) throw errors.badRequest(`At most ${MAX_BULK} secrets per request (got ${list.length})`);
    const { bindings } = await changeSecrets(plane, params.script, request, (secrets, current) => {
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
}

/** Applies a change to a worker's secrets as a new version, deployed at once (as Cloudflare does). */
async function changeSecrets(
  plane: PlaneContext,
  name: string,
  request: Request,
  change: (secrets: Record<string, string>, bindings: Binding[]) => void,
): Promise<{ bindings: Binding[] }> {
  const { store } = plane;
  const result = await store.exclusive(async () => {
    const script = plane.requireScript(name);
    const active = requireLatestDeployed(plane, script);
    const secrets = store.secretValues(name, active.id);
    const bindings = structuredClone(active.bindings);
    change(secrets, bindings);
    const version: VersionRecord = {
      ...structuredClone(active),
      id: newId(),
      number: nextNumber(script),
      created_on: plane.now(),
      source: sourceOf(request),
      annotations: { 'workers/triggered_by': 'secret' },
      bindings,
    };
    const record = structuredClone(script);
    record.deployments.unshift(
      plane.deploymentOf([{ version_id: version.id, percentage: 100 }], sourceOf(request), { 'workers/triggered_by': 'secret' }),
    );
    await plane.saveVersion(record, version, secrets);
    return { bindings };
  });
  await plane.sync();
  return result;
}

/** Secrets can change only while the newest version is the one deployed at 100% (Cloudflare's rule). */
function requireLatestDeployed({ store }: PlaneContext, script: ScriptRecord): VersionRecord {
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

function secretList(bindings: Binding[]): Array<{ name: string; type: string }> {
  return bindings.filter((b) => b.type === 'secret_text').map((b) => ({ name: b.name, type: 'secret_text' }));
}

function setSecret(secrets: Record<string, string>, bindings: Binding[], name: unknown, text: unknown, type: unknown): void {
  if (typeof name !== 'string' || !BINDING_NAME_RE.test(name)) throw errors.badRequest(`Invalid secret name ${JSON.stringify(name)}`);
  if (type !== undefined && type !== 'secret_text') throw errors.badRequest(`Secret "${name}": type must be "secret_text"`);
  if (typeof text !== 'string') throw errors.badRequest(`Secret "${name}": "text" must be a string`);
  checkSecretSize(name, text);
  const existing = bindings.find((b) => b.name === name);
  if (existing && existing.type !== 'secret_text')
    throw new ApiError(400, 10053, `Binding name '${name}' already in use by a ${existing.type} binding`);
  if (!existing) {
    if (bindings.length >= MAX_BINDINGS) throw errors.badRequest(`Too many bindings; a worker may have at most ${MAX_BINDINGS}`);
    bindings.push({ type: 'secret_text', name });
  }
  secrets[name] = text;
}

/** False when the worker has no such secret (secrets-bulk ignores that; DELETE answers 10056). */
function deleteSecret(secrets: Record<string, string>, bindings: Binding[], name: string): boolean {
  const index = bindings.findIndex((b) => b.name === name && b.type === 'secret_text');
  if (index === -1) return false;
  bindings.splice(index, 1);
  delete secrets[name];
  return true;
}
