/**
 * Clients worked on at once, per kind of operation. The CLI shows these in --help, so this module
 * imports nothing (the ops themselves load only when a command runs). The pacer, not these
 * numbers, keeps the request rate within the API budget.
 */
export const DEFAULT_CONCURRENCY = {
  /** API-only operations: secrets push, status, retire. */
  api: 8,
  /** Each rotation waits for the worker to prove the new key, so fewer at once. */
  rotate: 4,
  /** Version uploads through the API (the bundle is built once; each upload is two API calls). */
  upload: 8,
  /** Each wrangler deploy (the fallback for configs the direct upload does not handle) is a process with about 1 s of CPU. */
  deploy: 4,
  /** Requests to the workers themselves, not the API. */
  verify: 8,
  /** Analytics Engine SQL queries: one per client. */
  metrics: 8,
} as const;

/** The window `metrics` reports on when --since is not given. */
export const DEFAULT_METRICS_SINCE = '1h';

/** Workers an account may hold on Workers Paid (100 on Free): `status` reports the fleet's share of it. */
export const DEFAULT_WORKERS_LIMIT = 500;

/** `status` warns once the account holds this share of its workers limit. */
export const CAPACITY_WARNING_SHARE = 0.8;

/** `logs --follow`: waits before opening a tail again after it closed unexpectedly; then the client fails. */
export const TAIL_RECONNECT_BACKOFF_MS = [1000, 2000, 4000, 8000, 16000] as const;
