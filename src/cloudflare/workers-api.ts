import type Cloudflare from 'cloudflare';
import { systemClock } from '../util/clock.js';
import type { CreateApiOptions } from './api.js';
import { backoffMs, type Pacer, type RetryPolicy, retryPolicyFromEnv, sharedPacer } from './pacer.js';
import type { Target } from './target.js';
import { type ScriptUpload, type UploadBinding, uploadForm, type WorkerUpload } from './worker-upload.js';

/** Cloudflare's answer to a deployment that would bring back other secret values (a rollback across a rotation). */
export const SECRETS_CHANGED_CODE = 10220;

/** A worker as the account's script list shows it: enough to tell new from existing, and its non-versioned settings. */
export interface RemoteScript {
  name: string;
  tags: string[] | undefined;
  observability: unknown;
}

/** What `PATCH …/script-settings` takes. */
export interface ScriptSettings {
  logpush?: boolean;
  observability?: unknown;
  tags?: string[];
  tail_consumers?: unknown;
}

export interface DeploymentVersion {
  version_id: string;
  percentage: number;
}

export interface Deployment {
  id: string;
  created_on: string;
  versions: DeploymentVersion[];
  annotations?: Record<string, string>;
}

/** A version with its code (Workers API, `?include=modules`). */
export interface VersionWithCode {
  id: string;
  number: number;
  annotations: Record<string, string>;
  bindings: UploadBinding[];
  compatibility_date: string | undefined;
  compatibility_flags: string[];
  main_module: string;
  modules: { name: string; content_type: string; content_base64: string }[];
}

/**
 * A version's code and compatibility uploaded again, with the bindings given (a rollback, secrets
 * after one). Annotations Cloudflare stores: `workers/message` (free text), `workers/tag` (a label;
 * mcp-fleet's names the bundle).
 */
export function uploadFromVersion(
  version: VersionWithCode,
  bindings: UploadBinding[],
  options: { message: string; tag: string; keepBindings?: string[] },
): WorkerUpload {
  return {
    metadata: {
      main_module: version.main_module,
      bindings,
      ...(version.compatibility_date ? { compatibility_date: version.compatibility_date } : {}),
      compatibility_flags: version.compatibility_flags,
      ...(options.keepBindings ? { keep_bindings: options.keepBindings } : {}),
      annotations: {
        'workers/message': options.message,
        'workers/tag': options.tag,
      },
    },
    modules: version.modules.map((module) => ({
      name: module.name,
      contentType: module.content_type,
      contents: Buffer.from(module.content_base64, 'base64'),
    })),
  };
}

/**
 * The Workers Versions and Deployments calls of a rollout. One request each (retries aside): a
 * version upload carries code, bindings and secrets; a deployment makes versions live. Every call
 * goes through the shared pacer. Version uploads and deployments are POSTs, which pacedFetch does
 * not repeat after a 5xx (it might have been applied); here repeating is safe — a version nobody
 * deploys is inert, and deploying the same versions twice leaves the same deployment — so these
 * two are retried after 5xx and lost connections too.
 */
export interface WorkersApi {
  readonly target: Target;
  readonly pacer: Pacer;
  /** Every worker of the account, by name. One call per command. */
  listScripts(): Promise<Map<string, RemoteScript>>;
  /** Creates (or replaces) a worker and deploys the upload at once, script-level settings included; returns the new version's id. */
  createScript(script: string, upload: ScriptUpload): Promise<string>;
  /** Uploads a version (no script-level settings: see patchScriptSettings) without deploying it; 'missing' when the worker does not exist. */
  uploadVersion(script: string, upload: WorkerUpload): Promise<string | 'missing'>;
  /** Makes these versions the deployment; 'secrets-changed' (10220) when that would revive other secret values. */
  deploy(script: string, versions: readonly DeploymentVersion[], message: string): Promise<'ok' | 'secrets-changed'>;
  /** Newest first. */
  listDeployments(script: string): Promise<Deployment[]>;
  getVersionWithCode(script: string, versionId: string): Promise<VersionWithCode>;
  /** Turns the workers.dev URL on (wrangler's default for a worker without routes). */
  enableWorkersDev(script: string, previews: boolean | undefined): Promise<void>;
  /** Script-level settings, which no version carries (the schema's: logpush, observability, tags, tail_consumers). */
  patchScriptSettings(script: string, settings: ScriptSettings): Promise<void>;
  /** Deletes the worker (its versions and secrets with it); 'absent' when there was none. One call. */
  deleteScript(script: string): Promise<'deleted' | 'absent'>;
}

export function createWorkersApi(target: Target, options: CreateApiOptions = {}): WorkersApi {
  const pacer = options.pacer ?? sharedPacer();
  const policy = options.policy ?? retryPolicyFromEnv();
  // The SDK takes ~0.4 s of CPU to load: loaded on the first call, so a deploy's build starts without waiting for it.
  let loading: Promise<Loaded> | undefined;
  const load = () => (loading ??= loadSdk(target, { ...options, pacer, policy }));
  const base = `/accounts/${target.accountId}/workers`;
  const scriptPath = (script: string) => `${base}/scripts/${encodeURIComponent(script)}`;
  const fail = async (error: unknown, what: string) => (await load()).api.toFleetError(error, what, target);
  const repeatable = async <T>(call: (sdk: Cloudflare) => Promise<T>) => {
    const loaded = await load();
    return retryAfterServerErrors(() => call(loaded.sdk), policy, pacer, loaded);
  };
  const requireId = async (id: string | undefined, what: string) => {
    if (typeof id === 'string' && id !== '') return id;
    throw new (await load()).api.CloudflareApiError(`${what}: the answer carries no version id`, { applied: 'unknown' });
  };
  const isOurs = async (error: unknown) => (await load()).api.isCloudflareApiError(error);

  return {
    target,
    pacer,
    async listScripts() {
      const { sdk } = await load();
      try {
        const body = (await sdk.get(`${base}/scripts`)) as Envelope<RawScript[]>;
        return new Map(
          (body.result ?? []).map((raw) => [raw.id, { name: raw.id, tags: raw.tags ?? undefined, observability: raw.observability }]),
        );
      } catch (error) {
        throw await fail(error, 'listing the workers of the account');
      }
    },
    async createScript(script, upload) {
      const { sdk } = await load();
      try {
        const body = (await sdk.put(scriptPath(script), {
          body: uploadForm(upload),
          query: { excludeScript: 'true', bindings_inherit: 'strict' },
        })) as Envelope<{ deployment_id?: string }>;
        return await requireId(body.result?.deployment_id, `creating worker ${script}`);
      } catch (error) {
        if (await isOurs(error)) throw error;
        throw await fail(error, `creating worker ${script}`);
      }
    },
    async uploadVersion(script, upload) {
      try {
        const body = (await repeatable((sdk) =>
          sdk.post(`${scriptPath(script)}/versions`, { body: uploadForm(upload), query: { bindings_inherit: 'strict' } }),
        )) as Envelope<{ id?: string }>;
        return await requireId(body.result?.id, `uploading a version of worker ${script}`);
      } catch (error) {
        if ((await load()).api.isNotFound(error)) return 'missing';
        if (await isOurs(error)) throw error;
        throw await fail(error, `uploading a version of worker ${script}`);
      }
    },
    async deploy(script, versions, message) {
      try {
        await repeatable((sdk) =>
          sdk.post(`${scriptPath(script)}/deployments`, {
            body: { strategy: 'percentage', versions, annotations: { 'workers/message': message } },
          }),
        );
        return 'ok';
      } catch (error) {
        if (error instanceof (await load()).APIError && error.errors.some((entry) => entry.code === SECRETS_CHANGED_CODE)) {
          return 'secrets-changed';
        }
        throw await fail(error, `deploying worker ${script}`);
      }
    },
    async listDeployments(script) {
      const { sdk } = await load();
      try {
        const body = (await sdk.get(`${scriptPath(script)}/deployments`)) as Envelope<{ deployments?: Deployment[] }>;
        return body.result?.deployments ?? [];
      } catch (error) {
        throw await fail(error, `listing the deployments of worker ${script}`);
      }
    },
    async getVersionWithCode(script, versionId) {
      const { sdk } = await load();
      try {
        const body = (await sdk.get(`${base}/workers/${encodeURIComponent(script)}/versions/${encodeURIComponent(versionId)}`, {
          query: { include: 'modules' },
        })) as Envelope<Partial<VersionWithCode>>;
        const raw = body.result ?? {};
        if (!raw.main_module || !Array.isArray(raw.modules)) throw new Error('the answer has no main module or no modules');
        return {
          id: raw.id ?? versionId,
          number: raw.number ?? 0,
          annotations: raw.annotations ?? {},
          bindings: raw.bindings ?? [],
          compatibility_date: raw.compatibility_date,
          compatibility_flags: raw.compatibility_flags ?? [],
          main_module: raw.main_module,
          modules: raw.modules,
        };
      } catch (error) {
        throw await fail(error, `reading version ${versionId} of worker ${script}`);
      }
    },
    async enableWorkersDev(script, previews) {
      const { sdk } = await load();
      try {
        await sdk.post(`${scriptPath(script)}/subdomain`, {
          body: { enabled: true, ...(previews === undefined ? {} : { previews_enabled: previews }) },
          // The subdomain API's newer semantics (previews follow only when asked), as wrangler asks for them.
          headers: { 'Cloudflare-Workers-Script-Api-Date': '2025-08-01' },
        });
      } catch (error) {
        throw await fail(error, `enabling the workers.dev URL of worker ${script}`);
      }
    },
    async patchScriptSettings(script, settings) {
      const { sdk } = await load();
      try {
        await sdk.patch(`${scriptPath(script)}/script-settings`, { body: settings });
      } catch (error) {
        throw await fail(error, `updating the settings of worker ${script}`);
      }
    },
    async deleteScript(script) {
      const { sdk, api } = await load();
      try {
        await sdk.workers.scripts.delete(script, { account_id: target.accountId });
        return 'deleted';
      } catch (error) {
        if (api.isNotFound(error)) return 'absent';
        throw await fail(error, `deleting worker ${script}`);
      }
    },
  };
}

interface Envelope<T> {
  result?: T | null;
}

interface RawScript {
  id: string;
  tags?: string[] | null;
  observability?: unknown;
}

interface Loaded {
  sdk: Cloudflare;
  api: typeof import('./api.js');
  APIError: typeof import('cloudflare').APIError;
  APIConnectionError: typeof import('cloudflare').APIConnectionError;
}

async function loadSdk(target: Target, options: CreateApiOptions): Promise<Loaded> {
  const [api, cloudflare] = await Promise.all([import('./api.js'), import('cloudflare')]);
  return { sdk: api.createSdk(target, options), api, APIError: cloudflare.APIError, APIConnectionError: cloudflare.APIConnectionError };
}

/** Repeats a call after a 5xx or a lost connection (429s are handled by the pacer), with the policy's backoff. */
async function retryAfterServerErrors<T>(
  call: () => Promise<T>,
  policy: RetryPolicy,
  pacer: Pacer,
  classes: Pick<Loaded, 'APIError' | 'APIConnectionError'>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const serverSide = (error instanceof classes.APIError && (error.status ?? 0) >= 500) || error instanceof classes.APIConnectionError;
      if (!serverSide || attempt + 1 >= policy.maxAttempts) throw error;
      pacer.noteRetry();
      await systemClock.sleep(backoffMs(attempt, policy, Math.random));
    }
  }
}
