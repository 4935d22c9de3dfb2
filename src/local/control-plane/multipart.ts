import { errors } from '../net/envelope.js';
import type { ModuleType, NewModule } from '../store.js';

/** The `metadata` part of a worker upload, as wrangler and the API send it. */
export interface UploadMetadata {
  main_module?: string;
  body_part?: string;
  bindings?: Array<Record<string, unknown> & { type: string; name: string }>;
  compatibility_date?: string;
  compatibility_flags?: string[];
  keep_bindings?: string[];
  annotations?: Record<string, string>;
  usage_model?: string;
  tags?: string[];
  logpush?: boolean;
  observability?: unknown;
  placement?: unknown;
  tail_consumers?: unknown;
  [key: string]: unknown;
}

export interface ParsedUpload {
  metadata: UploadMetadata;
  modules: NewModule[];
}

/** Content types of module parts → workerd module types (as Cloudflare maps them). */
const CONTENT_TYPES: Record<string, ModuleType> = {
  'application/javascript+module': 'esm',
  'text/javascript+module': 'esm',
  'application/javascript': 'cjs',
  'text/javascript': 'cjs',
  'application/wasm': 'wasm',
  'text/plain': 'text',
  'application/octet-stream': 'data',
  'application/json': 'json',
  'application/source-map': 'sourcemap',
  'text/x-python': 'python',
  'text/x-python-requirement': 'python-requirement',
};

export function moduleTypeOf(contentType: string, name: string): ModuleType | undefined {
  const base = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const known = CONTENT_TYPES[base];
  if (known) return known;
  if (base === '' || base === 'application/octet-stream') {
    if (name.endsWith('.map')) return 'sourcemap';
    if (/\.m?js$/.test(name)) return 'esm';
  }
  return undefined;
}

/** Parses a worker upload (multipart/form-data: a `metadata` JSON part and one part per module). */
export async function parseUpload(request: Request): Promise<ParsedUpload> {
  const type = request.headers.get('content-type') ?? '';
  if (!type.toLowerCase().startsWith('multipart/form-data')) {
    throw errors.badRequest(`Expected a multipart/form-data upload, got ${type || 'no content type'}`);
  }
  let form: FormData;
  try {
    form = await request.formData();
  } catch (error) {
    throw errors.badRequest(`Malformed multipart body: ${error instanceof Error ? error.message : String(error)}`);
  }
  const metadataPart = form.get('metadata');
  if (metadataPart === null) throw errors.badRequest('The upload has no "metadata" part');
  const metadataText = typeof metadataPart === 'string' ? metadataPart : await metadataPart.text();
  let metadata: UploadMetadata;
  try {
    metadata = JSON.parse(metadataText) as UploadMetadata;
  } catch {
    throw errors.badRequest('The "metadata" part is not valid JSON');
  }
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw errors.badRequest('The "metadata" part must be a JSON object');
  }

  const modules: NewModule[] = [];
  for (const [field, value] of form.entries()) {
    if (field === 'metadata') continue;
    const name = typeof value === 'string' ? field : value.name || field;
    const contentType = typeof value === 'string' ? 'text/plain' : value.type;
    const moduleType = moduleTypeOf(contentType, name);
    if (!moduleType) throw errors.badRequest(`Unsupported content type "${contentType}" for module "${name}"`);
    const contents = typeof value === 'string' ? new TextEncoder().encode(value) : new Uint8Array(await value.arrayBuffer());
    modules.push({ name: field, type: moduleType, contentType, contents });
  }
  return { metadata, modules };
}
