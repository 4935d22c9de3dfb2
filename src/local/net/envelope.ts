/**
 * Cloudflare's v4 API envelope and the error codes the local edge answers with.
 * Every control-plane and admin answer is an ApiResponse; http-bridge.ts writes it to the socket.
 */

export interface CfMessage {
  code: number;
  message: string;
}

export interface ApiResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Fields of the request accepted but not applied (see schema-fields.ts), for the request log; never written. */
  ignored?: string[];
}

export interface ResultInfo {
  page: number;
  per_page: number;
  count: number;
  total_count: number;
  total_pages?: number;
}

/**
 * Error codes as Cloudflare's v4 API answers them. wrangler and the SDK branch on some (10007 is
 * "no such worker" to both, 10000 a bad token), so each must be Cloudflare's own, never invented.
 */
export const CfCode = {
  authentication: 10000,
  /** No such worker (script). */
  scriptNotFound: 10007,
  /** The upload's script failed to start or could not be read. */
  scriptInvalid: 10021,
  /** Malformed request body or parameters. */
  badRequest: 10001,
  secretNotFound: 10056,
  versionNotFound: 10230,
  /** A deployment (a rollback) would run a version whose secrets differ from the newest version's. */
  secretsChangedSinceVersion: 10220,
  deploymentNotFound: 10231,
  internal: 10013,
  noRoute: 7000,
  methodNotAllowed: 10405,
  rateLimited: 971,
  /** Workers KV: no such key. */
  kvKeyNotFound: 10009,
  /** Workers KV: no such namespace (the KV API's own use of 10013, beside the Workers API's "unknown error"). */
  kvNamespaceNotFound: 10013,
  /** Workers KV: a namespace with this title exists in the account. */
  kvNamespaceTitleExists: 10014,
  /** An upload binds a KV namespace id the account does not have. */
  kvNamespaceInvalid: 10042,
} as const;

/** Cursor paging (Workers KV's key lists): an empty cursor is the last page. */
export interface CursorInfo {
  count: number;
  cursor: string;
}

export function ok(
  result: unknown,
  extra: { status?: number; resultInfo?: ResultInfo | CursorInfo; messages?: CfMessage[]; ignored?: string[] } = {},
): ApiResponse {
  const body: Record<string, unknown> = { success: true, errors: [], messages: extra.messages ?? [], result };
  if (extra.resultInfo) body.result_info = extra.resultInfo;
  return { status: extra.status ?? 200, body, ...(extra.ignored?.length ? { ignored: extra.ignored } : {}) };
}

export function fail(status: number, code: number, message: string, headers?: Record<string, string>): ApiResponse {
  return { status, body: { success: false, errors: [{ code, message }], messages: [], result: null }, ...(headers ? { headers } : {}) };
}

/** A failure a handler throws; the control plane turns it into its envelope. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  toResponse(): ApiResponse {
    return fail(this.status, this.code, this.message);
  }
}

export const errors = {
  authentication: () => new ApiError(403, CfCode.authentication, 'Authentication error'),
  scriptNotFound: (name: string) =>
    new ApiError(404, CfCode.scriptNotFound, `This Worker does not exist on your account. [workers.api.error.script_not_found] (${name})`),
  badRequest: (message: string) => new ApiError(400, CfCode.badRequest, message),
  scriptInvalid: (message: string) => new ApiError(400, CfCode.scriptInvalid, message),
  secretNotFound: (name: string) => new ApiError(404, CfCode.secretNotFound, `Secret ${name} not found`),
  versionNotFound: (id: string) => new ApiError(404, CfCode.versionNotFound, `Version ${id} not found`),
  noRoute: (method: string, path: string) => new ApiError(404, CfCode.noRoute, `No route for that URI: ${method} ${path}`),
  kvNamespaceNotFound: () => new ApiError(404, CfCode.kvNamespaceNotFound, 'namespace not found'),
  kvKeyNotFound: () => new ApiError(404, CfCode.kvKeyNotFound, 'key not found'),
  methodNotAllowed: (method: string, path: string) =>
    new ApiError(405, CfCode.methodNotAllowed, `Method ${method} not allowed for ${path}`),
};

export function paged<T>(items: T[], page: number, perPage: number): { items: T[]; info: ResultInfo } {
  const start = (page - 1) * perPage;
  const slice = items.slice(start, start + perPage);
  return {
    items: slice,
    info: {
      page,
      per_page: perPage,
      count: slice.length,
      total_count: items.length,
      total_pages: Math.max(1, Math.ceil(items.length / perPage)),
    },
  };
}
