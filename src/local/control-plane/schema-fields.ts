import { CfCode, type CfMessage, errors } from '../net/envelope.js';

/**
 * The top-level fields each write operation takes, as Cloudflare's published API schema defines
 * them (the `cloudflare` SDK's request types are generated from it), so that the edge refuses what
 * Cloudflare's schema does not define for that operation — a setting sent to the wrong operation
 * fails here, not silently on Cloudflare.
 *
 * One exception, so that unmodified wrangler keeps working: a few fields wrangler 4.164 puts in
 * these bodies though the schema does not name them (Cloudflare takes them without complaint).
 * They are accepted and never applied, and the answer names them in its `messages` (and the
 * request log in `ignored`), so a client of the edge can see what had no effect.
 */

export interface OperationFields {
  /** How an error names the body, e.g. "a version upload's metadata". */
  what: string;
  defined: readonly string[];
  /** Sent by wrangler 4.164, not in the schema: accepted, not applied. */
  wranglerExtras: readonly string[];
  /** Where the ignored ones belong instead, for the message. */
  instead?: string;
}

/** `PUT …/workers/scripts/:script` (metadata part): a script upload, where the script-level settings go too. */
export const SCRIPT_UPLOAD: OperationFields = {
  what: "a script upload's metadata",
  defined: [
    'annotations',
    'assets',
    'bindings',
    'body_part',
    'cache_options',
    'compatibility_date',
    'compatibility_flags',
    'exports',
    'keep_assets',
    'keep_bindings',
    'limits',
    'logpush',
    'main_module',
    'migrations',
    'observability',
    'package_dependencies',
    'placement',
    'tags',
    'tail_consumers',
    'usage_model',
  ],
  wranglerExtras: ['code_update_strategy', 'streaming_tail_consumers', 'containers'],
};

/** `POST …/workers/scripts/:script/versions` (metadata part): code, bindings and compatibility; no script-level settings. */
export const VERSION_UPLOAD: OperationFields = {
  what: "a version upload's metadata",
  defined: [
    'annotations',
    'bindings',
    'cache_options',
    'compatibility_date',
    'compatibility_flags',
    'exports',
    'keep_bindings',
    'main_module',
    'package_dependencies',
    'usage_model',
  ],
  wranglerExtras: ['observability', 'logpush', 'placement', 'tail_consumers', 'streaming_tail_consumers', 'limits'],
  instead: 'PATCH …/script-settings sets the script-level ones',
};

/** `POST …/workers/scripts/:script/deployments`. */
export const DEPLOYMENT: OperationFields = {
  what: 'a deployment',
  defined: ['strategy', 'versions', 'annotations'],
  wranglerExtras: ['code_update_strategy'],
};

/** `PATCH …/workers/scripts/:script/script-settings`: the settings that belong to the script, not to a version. */
export const SCRIPT_SETTINGS: OperationFields = {
  what: 'script settings',
  defined: ['logpush', 'observability', 'tags', 'tail_consumers'],
  wranglerExtras: [],
};

/** `POST …/storage/kv/namespaces` and `PUT …/storage/kv/namespaces/:namespace`: a namespace's title. */
export const KV_NAMESPACE: OperationFields = {
  what: 'a KV namespace',
  defined: ['title'],
  wranglerExtras: [],
};

/** One entry of `PUT …/storage/kv/namespaces/:namespace/bulk`. */
export const KV_BULK_ENTRY: OperationFields = {
  what: 'a KV bulk write entry',
  defined: ['key', 'value', 'base64', 'expiration', 'expiration_ttl', 'metadata'],
  wranglerExtras: [],
};

export interface FieldCheck {
  /** Names of the fields accepted but not applied (wrangler's extras), in body order. */
  ignored: string[];
  messages: CfMessage[];
}

/** Refuses (400, 10001) a field the operation's schema does not define; names the wrangler extras it will not apply. */
export function checkFields(operation: OperationFields, body: Record<string, unknown>): FieldCheck {
  const present = Object.keys(body).filter((key) => body[key] !== undefined);
  const unknown = present.filter((key) => !operation.defined.includes(key) && !operation.wranglerExtras.includes(key));
  if (unknown.length > 0) {
    const list = unknown.map((key) => `"${key}"`).join(', ');
    throw errors.badRequest(
      `${unknown.length === 1 ? 'Field' : 'Fields'} ${list} ${unknown.length === 1 ? 'is' : 'are'} not part of ${operation.what} in Cloudflare's API schema (it takes: ${operation.defined.join(', ')})`,
    );
  }
  const ignored = present.filter((key) => operation.wranglerExtras.includes(key));
  const messages =
    ignored.length === 0
      ? []
      : [
          {
            code: CfCode.badRequest,
            message: `Ignored ${ignored.map((key) => `"${key}"`).join(', ')}: not part of ${operation.what} in Cloudflare's API schema${operation.instead ? ` (${operation.instead})` : ''}`,
          },
        ];
  return { ignored, messages };
}
