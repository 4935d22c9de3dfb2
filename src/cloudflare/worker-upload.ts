/**
 * A worker upload as the Workers API takes it (`PUT …/scripts/:name`, `POST …/scripts/:name/versions`):
 * multipart form data with a `metadata` JSON part and one part per module, named as the metadata
 * names them. Built here rather than by the `cloudflare` SDK, whose 7.x upload methods send a
 * malformed body (see shared/reference/cloudflare-api.md).
 */

export const MODULE_CONTENT_TYPES = {
  esm: 'application/javascript+module',
  sourceMap: 'application/source-map',
} as const;

export interface UploadModule {
  name: string;
  contentType: string;
  contents: Uint8Array;
}

/** A binding as the upload metadata lists it; `secret_text` bindings carry their value in `text`. */
export interface UploadBinding {
  type: string;
  name: string;
  [field: string]: unknown;
}

/**
 * A version upload's metadata, as Cloudflare's schema defines it: code, bindings, compatibility and
 * annotations. Script-level settings (observability, tags, logpush, tail consumers) are not part of
 * a version; they go in a script upload or through `PATCH …/script-settings`.
 */
export interface UploadMetadata {
  main_module: string;
  bindings: UploadBinding[];
  compatibility_date?: string;
  compatibility_flags: string[];
  /** Binding types kept from the live version when the upload does not name them. */
  keep_bindings?: string[];
  annotations?: Record<string, string>;
}

/** A script upload's metadata (a new worker, created and deployed at once): a version's, plus the script-level settings. */
export interface ScriptUploadMetadata extends UploadMetadata {
  observability?: unknown;
  tags?: string[];
}

export interface WorkerUpload {
  metadata: UploadMetadata;
  modules: UploadModule[];
}

export interface ScriptUpload {
  metadata: ScriptUploadMetadata;
  modules: UploadModule[];
}

/** The multipart body of an upload. Holds secret values: never log it, never keep it longer than the request. */
export function uploadForm(upload: WorkerUpload | ScriptUpload): FormData {
  const form = new FormData();
  form.set('metadata', JSON.stringify(upload.metadata));
  for (const module of upload.modules) {
    form.set(module.name, new File([module.contents as Uint8Array<ArrayBuffer>], module.name, { type: module.contentType }));
  }
  return form;
}
