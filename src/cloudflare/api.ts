import Cloudflare, { APIConnectionError, APIError } from 'cloudflare';
import { ExitCode, FleetError } from '../util/errors.js';
import { commandLine } from '../util/next-step.js';
import { type Pacer, pacedFetch, type RetryPolicy, retryPolicyFromEnv, sharedPacer } from './pacer.js';
import type { Target } from './target.js';

/** Cloudflare error codes that mean "no such worker" (wrangler treats both so). */
const NOT_FOUND_CODES = new Set([10007, 10090]);
// 10001 is not among them: Cloudflare (and the local edge) use it for a malformed or too large request.
const AUTH_CODES = new Set([10000, 9106, 9109]);
const ROLLOUT_CODES = new Set([10214, 10215]);

/** Cloudflare accepts at most this many secrets in one secrets-bulk request. */
export const BULK_SECRETS_MAX = 100;

/**
 * A failed Cloudflare API call, described with Cloudflare's codes and messages only (never a
 * request body). `applied` says whether the change may have landed anyway: a 5xx, a timeout or a
 * lost connection leaves it unknown; any other answer means it did not.
 */
export class CloudflareApiError extends FleetError {
  readonly status: number | undefined;
  readonly codes: number[];
  readonly applied: 'no' | 'unknown';
  /** No answer came (the connection failed or timed out): nothing can be said about the remote side. */
  readonly unreachable: boolean;

  constructor(
    message: string,
    options: { hint?: string; status?: number; codes?: number[]; applied: 'no' | 'unknown'; unreachable?: boolean; cause?: unknown },
  ) {
    super(message, { hint: options.hint, exitCode: ExitCode.failed, cause: options.cause });
    this.name = 'CloudflareApiError';
    this.status = options.status;
    this.codes = options.codes ?? [];
    this.applied = options.applied;
    this.unreachable = options.unreachable ?? false;
  }
}

export function isCloudflareApiError(error: unknown): error is CloudflareApiError {
  return error instanceof CloudflareApiError;
}

/**
 * A worker's secrets, read and changed through the API (the rest of a worker's calls are WorkersApi's).
 * Carries its target and pacer, so that a command's other calls share them.
 */
export interface SecretsApi {
  readonly target: Target;
  readonly pacer: Pacer;
  /** Names of the worker's secrets; undefined when the worker does not exist. One call. */
  listSecretNames(script: string): Promise<string[] | undefined>;
  /**
   * Sets secrets (null deletes one) in one new version per 100 keys (`secrets-bulk`, JSON merge
   * patch). Returns 'missing' when the worker does not exist: Cloudflare then changes nothing, and unlike
   * `wrangler secret bulk` this never creates a draft worker.
   */
  bulkSetSecrets(script: string, values: ReadonlyMap<string, string | null>): Promise<'ok' | 'missing'>;
}

export interface CreateApiOptions {
  pacer?: Pacer;
  policy?: RetryPolicy;
  /** The HTTP client under the pacer (tests). */
  fetch?: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
}

/**
 * A Cloudflare SDK client for a Target: base URL set explicitly (the SDK reads a different
 * variable than wrangler), every request paced and retried by pacedFetch, SDK retries off so there
 * is exactly one retry policy, SDK logging off so no request detail is ever printed.
 */
export function createSdk(target: Target, options: CreateApiOptions = {}): Cloudflare {
  const pacer = options.pacer ?? sharedPacer();
  return new Cloudflare({
    apiToken: target.token,
    baseURL: target.apiBaseUrl,
    fetch: pacedFetch({ pacer, policy: options.policy ?? retryPolicyFromEnv(), fetch: options.fetch }),
    maxRetries: 0,
    // pacedFetch bounds each attempt; the SDK's timeout would otherwise cut a paced wait short.
    timeout: 60 * 60_000,
    logLevel: 'off',
  });
}

export function createSecretsApi(target: Target, options: CreateApiOptions = {}): SecretsApi {
  const pacer = options.pacer ?? sharedPacer();
  const sdk = createSdk(target, { ...options, pacer });
  const account_id = target.accountId;

  return {
    target,
    pacer,
    async listSecretNames(script) {
      try {
        const page = await sdk.workers.scripts.secrets.list(script, { account_id });
        return page.getPaginatedItems().map((secret) => secret.name);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw toFleetError(error, `listing the secrets of worker ${script}`, target);
      }
    },
    async bulkSetSecrets(script, values) {
      const entries = [...values];
      for (let start = 0; start < entries.length; start += BULK_SECRETS_MAX) {
        // merge-patch: null removes a secret (the SDK's type does not spell that out).
        const secrets: Record<string, { name: string; text: string; type: 'secret_text' }> = {};
        for (const [name, text] of entries.slice(start, start + BULK_SECRETS_MAX)) {
          (secrets as Record<string, unknown>)[name] = text === null ? null : { name, text, type: 'secret_text' };
        }
        try {
          await sdk.workers.scripts.secrets.bulkUpdate(
            script,
            { account_id, secrets },
            { headers: { 'Content-Type': 'application/merge-patch+json' } },
          );
        } catch (error) {
          if (isNotFound(error) && start === 0) return 'missing';
          throw toFleetError(error, `setting ${Object.keys(secrets).length} secret(s) on worker ${script}`, target);
        }
      }
      return 'ok';
    },
  };
}

export function isNotFound(error: unknown): boolean {
  return error instanceof APIError && error.errors.some((entry) => entry.code !== undefined && NOT_FOUND_CODES.has(entry.code));
}

/**
 * Turns an SDK error into a CloudflareApiError naming the operation and Cloudflare's codes. The
 * SDK's own message is not used: for a non-JSON body it carries the raw body text.
 */
export function toFleetError(error: unknown, what: string, target: Pick<Target, 'apiBaseUrl' | 'kind'>): CloudflareApiError {
  if (error instanceof APIConnectionError) {
    const timedOut = /timed? ?out/i.test(error.message);
    return new CloudflareApiError(
      `${what}: ${timedOut ? 'the Cloudflare API did not answer in time' : `could not reach ${target.apiBaseUrl}`}`,
      {
        hint:
          target.kind === 'local'
            ? `Is the local edge running? ${commandLine('local', 'status')}`
            : 'Check the network; re-running is safe.',
        applied: 'unknown',
        unreachable: true,
        cause: error,
      },
    );
  }
  if (error instanceof APIError) {
    const status = error.status;
    const codes = error.errors.map((entry) => entry.code).filter((code): code is number => typeof code === 'number');
    const described = error.errors
      .map((entry) => [entry.code, entry.message].filter((part) => part !== undefined && part !== '').join(' '))
      .filter((text) => text !== '')
      .join('; ');
    const message = `${what}: Cloudflare answered ${status ?? 'no status'}${described ? ` (${described})` : ''}`;
    return new CloudflareApiError(message, {
      hint: hintFor(status, codes, error.headers, target),
      status,
      codes,
      applied: status !== undefined && status >= 500 ? 'unknown' : 'no',
      cause: undefined,
    });
  }
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new CloudflareApiError(`${what}: the Cloudflare API did not answer in time`, {
      applied: 'unknown',
      hint: 'Re-running is safe.',
    });
  }
  return new CloudflareApiError(`${what}: ${error instanceof Error ? error.message : String(error)}`, { applied: 'unknown' });
}

function hintFor(
  status: number | undefined,
  codes: number[],
  headers: Headers | undefined,
  target: Pick<Target, 'kind'>,
): string | undefined {
  if (status === 401 || status === 403 || codes.some((code) => AUTH_CODES.has(code))) {
    return target.kind === 'local'
      ? `The local edge refused the token: restart it (${commandLine('local', 'stop')} && ${commandLine('local', 'start', '--detach')}).`
      : 'CLOUDFLARE_API_TOKEN was refused: it needs the "Workers Scripts: Edit" permission on this account (dash.cloudflare.com → My Profile → API Tokens).';
  }
  if (status === 429) {
    const after = headers?.get('retry-after');
    return `Cloudflare is rate-limiting this token${after ? ` for ${after} s` : ''}; re-run after that (mcp-fleet paces itself, but other tools may share the token). Lower the budget with --rate-limit or MCP_FLEET_RATE_LIMIT.`;
  }
  if (codes.some((code) => ROLLOUT_CODES.has(code))) {
    return `The worker runs a gradual deployment (two versions): finish it (${commandLine('deploy', '<client>')}), then change secrets.`;
  }
  if (status !== undefined && status >= 500) return 'Cloudflare had an internal error after several retries; re-running is safe.';
  return undefined;
}
