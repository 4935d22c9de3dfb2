import { isDeepStrictEqual } from 'node:util';
import type { UploadMetadata, WorkerUpload } from '../../../cloudflare/worker-upload.js';
import type { RemoteScript, ScriptSettings, WorkersApi } from '../../../cloudflare/workers-api.js';
import type { BuiltBundle } from '../../../cloudflare/wrangler-build.js';
import { FleetError } from '../../../util/errors.js';
import { type ClientSettings, uploadBindings } from './client-settings.js';

/**
 * Ships one client through the Workers API, as `wrangler deploy --env <client>` would land it:
 * - an existing worker: one version upload (code, vars, dataset, secrets, annotations), then one
 *   deployment of it at 100% — 2 calls; a third (`PATCH …/script-settings`) only when tags or
 *   observability drifted, since a version carries no script-level settings. The two are separate
 *   steps, so a wave uploads all its versions first and then makes them live together;
 * - a new worker: one script upload (created and deployed at once, with its tags and observability),
 *   then its workers.dev URL — 2 calls; 3 when the worker vanished between the account's list and the upload.
 * Secrets from the file are sent in the upload, so code and secrets land as one version; secrets
 * only the worker has are kept (as wrangler keeps them), so a key in its grace period survives.
 */

export interface Uploaded {
  versionId: string;
  newWorker: boolean;
  /** A new worker's upload is live at once; an existing worker's waits for deployUploaded. */
  live: boolean;
}

export interface ShipDirectOptions {
  api: WorkersApi;
  settings: ClientSettings;
  bundle: BuiltBundle;
  secrets: ReadonlyMap<string, string>;
  /** The worker as the account's list showed it; undefined when it was not there. */
  remote: RemoteScript | undefined;
  /** `workers/message` and `workers/tag` of the new version. */
  annotations: Record<string, string>;
  progress: (detail: string) => void;
}

/** Secrets not named in the upload are kept from the live version, as wrangler deploy keeps them. */
const KEEP_SECRETS = ['secret_text', 'secret_key'];

export function clientUpload(
  settings: ClientSettings,
  bundle: BuiltBundle,
  secrets: ReadonlyMap<string, string>,
  annotations: Record<string, string>,
): WorkerUpload {
  const metadata: UploadMetadata = {
    main_module: bundle.mainModule,
    bindings: uploadBindings(settings, secrets),
    ...(settings.compatibilityDate === undefined ? {} : { compatibility_date: settings.compatibilityDate }),
    compatibility_flags: settings.compatibilityFlags,
    keep_bindings: KEEP_SECRETS,
    annotations,
  };
  return { metadata, modules: bundle.modules };
}

/** Step one: the upload (a new version of an existing worker, or a new worker, live at once). */
export async function uploadDirect(options: ShipDirectOptions): Promise<Uploaded> {
  const { api, settings } = options;
  const worker = settings.client.workerName;
  const upload = clientUpload(settings, options.bundle, options.secrets, options.annotations);
  if (options.remote) {
    options.progress('uploading a version');
    const versionId = await api.uploadVersion(worker, upload);
    if (versionId !== 'missing') return { versionId, newWorker: false, live: false };
  }
  options.progress('creating the worker');
  const versionId = await api.createScript(worker, {
    ...upload,
    metadata: {
      ...upload.metadata,
      ...(settings.observability === undefined ? {} : { observability: settings.observability }),
      ...(settings.tags.length > 0 ? { tags: settings.tags } : {}),
    },
  });
  options.progress('enabling workers.dev');
  await api.enableWorkersDev(worker, settings.previewUrls);
  return { versionId, newWorker: true, live: true };
}

/** Step two, for an existing worker: its new version becomes the deployment (and drifted settings are set back). */
export async function deployUploaded(
  options: Pick<ShipDirectOptions, 'api' | 'settings' | 'remote' | 'annotations'>,
  versionId: string,
): Promise<void> {
  const { api, settings, remote } = options;
  const worker = settings.client.workerName;
  const deployed = await api.deploy(worker, [{ version_id: versionId, percentage: 100 }], options.annotations['workers/message'] ?? '');
  // The newest version is never refused for its secrets; anything else here is Cloudflare's surprise.
  if (deployed !== 'ok') throw new FleetError(`deploying worker ${worker}: Cloudflare refused its own newest version (10220)`);
  const drift = remote ? settingsDrift(settings, remote) : undefined;
  if (drift) await api.patchScriptSettings(worker, drift);
}

/**
 * The non-versioned settings wrangler would set on an existing worker (its env tags, observability,
 * off when the config says nothing), when the worker's differ; undefined when nothing needs changing.
 */
export function settingsDrift(settings: ClientSettings, remote: RemoteScript): ScriptSettings | undefined {
  const ours = (tag: string) => tag.startsWith('cf:service=') || tag.startsWith('cf:environment=');
  const current = remote.tags ?? [];
  const tags = [...current.filter((tag) => !ours(tag)), ...settings.tags];
  const observability = settings.observability ?? { enabled: false };
  const tagsDiffer = !isDeepStrictEqual([...current].sort(), [...tags].sort());
  const observabilityDiffers = !includes(remote.observability, observability);
  if (!tagsDiffer && !observabilityDiffers) return undefined;
  return { observability, tags };
}

/** Does `actual` hold everything `wanted` says? (Cloudflare adds defaults of its own to what it was given.) */
function includes(actual: unknown, wanted: unknown): boolean {
  if (typeof wanted !== 'object' || wanted === null || Array.isArray(wanted)) return isDeepStrictEqual(actual, wanted);
  if (typeof actual !== 'object' || actual === null) return false;
  return Object.entries(wanted).every(([key, value]) => includes((actual as Record<string, unknown>)[key], value));
}
