import { systemClock } from '../util/clock.js';
import { ExitCode, FleetError } from '../util/errors.js';
import { commandLine } from '../util/next-step.js';
import { backoffMs, type FetchLike, type Pacer, pacedFetch, type RetryPolicy, retryPolicyFromEnv, sharedPacer } from './pacer.js';
import type { Target } from './target.js';

/**
 * The Workers Analytics Engine SQL API: `POST /accounts/{account}/analytics_engine/sql`, the SQL
 * text as the body, ClickHouse's JSON format back (`{meta, data, rows}`, not the v4 envelope).
 * Every attempt waits for the shared pacer. A query changes nothing, so unlike other POSTs it is
 * sent again after a 5xx or a lost connection (pacedFetch itself repeats only 429s of a POST).
 */

export type AnalyticsRow = Record<string, unknown>;
export type AnalyticsQuery = (sql: string, what: string) => Promise<AnalyticsRow[]>;

export interface AnalyticsSqlOptions {
  pacer?: Pacer;
  policy?: RetryPolicy;
  fetch?: FetchLike;
  random?: () => number;
}

/** A query failed: Cloudflare's status and message, never the token. */
export class AnalyticsSqlError extends FleetError {
  readonly status: number | undefined;
  constructor(message: string, status: number | undefined, hint?: string) {
    super(message, { hint, exitCode: ExitCode.failed });
    this.name = 'AnalyticsSqlError';
    this.status = status;
  }
}

export function analyticsSqlUrl(target: Pick<Target, 'apiBaseUrl' | 'accountId'>): string {
  return `${target.apiBaseUrl}/accounts/${encodeURIComponent(target.accountId)}/analytics_engine/sql`;
}

export function createAnalyticsQuery(target: Target, options: AnalyticsSqlOptions = {}): AnalyticsQuery {
  const pacer = options.pacer ?? sharedPacer();
  const policy = options.policy ?? retryPolicyFromEnv();
  const random = options.random ?? Math.random;
  const send = pacedFetch({ pacer, policy, ...(options.fetch ? { fetch: options.fetch } : {}) });
  const url = analyticsSqlUrl(target);

  return async (sql, what) => {
    for (let attempt = 0; ; attempt++) {
      const last = attempt + 1 >= policy.maxAttempts;
      let response: Response;
      try {
        response = await send(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${target.token}`, 'content-type': 'text/plain; charset=utf-8' },
          body: sql,
        });
      } catch (error) {
        if (last) {
          const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
          throw new AnalyticsSqlError(
            `${what}: ${timedOut ? 'the Analytics Engine SQL API did not answer in time' : `could not reach ${target.apiBaseUrl}`}`,
            undefined,
            target.kind === 'local'
              ? `Is the local edge running? ${commandLine('local', 'status')}`
              : 'Check the network; re-running is safe.',
          );
        }
        pacer.noteRetry();
        await systemClock.sleep(backoffMs(attempt, policy, random));
        continue;
      }
      if (response.status >= 500 && !last) {
        await response.body?.cancel().catch(() => undefined);
        pacer.noteRetry();
        await systemClock.sleep(backoffMs(attempt, policy, random));
        continue;
      }
      const text = await response.text();
      if (!response.ok) throw failure(response.status, text, what, target);
      return rowsOf(text, what);
    }
  };
}

function rowsOf(text: string, what: string): AnalyticsRow[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new AnalyticsSqlError(`${what}: the Analytics Engine SQL API answered something other than JSON`, undefined);
  }
  const data = typeof body === 'object' && body !== null ? (body as { data?: unknown }).data : undefined;
  if (!Array.isArray(data) || !data.every((row) => typeof row === 'object' && row !== null && !Array.isArray(row))) {
    throw new AnalyticsSqlError(`${what}: the answer has no "data" rows`, undefined);
  }
  return data as AnalyticsRow[];
}

/** Cloudflare's reason: the envelope's messages when there is one, else the start of the text. */
function failure(status: number, text: string, what: string, target: Pick<Target, 'kind'>): AnalyticsSqlError {
  let reason = '';
  try {
    const body = JSON.parse(text) as { errors?: { code?: number; message?: string }[] };
    reason = (body.errors ?? []).map((e) => [e.code, e.message].filter((part) => part !== undefined && part !== '').join(' ')).join('; ');
  } catch {
    reason = text.replace(/\s+/g, ' ').trim();
  }
  if (reason.length > 300) reason = `${reason.slice(0, 300)}…`;
  const hint =
    status === 401 || status === 403
      ? target.kind === 'local'
        ? `The local edge refused the token: restart it (${commandLine('local', 'stop')} && ${commandLine('local', 'start', '--detach')}).`
        : 'Reading Analytics Engine needs a token with "Account Analytics: Read" on this account (dash.cloudflare.com → My Profile → API Tokens).'
      : status === 429
        ? 'Cloudflare is rate-limiting this token; re-run later, or lower the budget with --rate-limit.'
        : undefined;
  return new AnalyticsSqlError(`${what}: Cloudflare answered ${status}${reason ? ` (${reason})` : ''}`, status, hint);
}
