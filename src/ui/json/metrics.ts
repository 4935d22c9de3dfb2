import type { ClientMetrics } from '../../ops/metrics/metrics.js';
import type { RouteMetrics } from '../../ops/metrics/rows.js';
import { type ClientFailureJson, clientFailureJson, type FleetJson, fleetJson } from './common.js';

/** The document of `metrics`: each client's traffic over the window, from its own Analytics Engine dataset. */

export interface RouteMetricsJson {
  route: string;
  /** metrics --by subject: the hash the worker recorded, how the caller got in, and who it is when mcp-fleet knows (else null). */
  subjectHash?: string;
  via?: string;
  subject?: string | null;
  requests: number;
  status2xx: number;
  status4xx: number;
  status5xx: number;
  /** Of the 4xx, the calls the client's rate limit refused (429). */
  rateLimited: number;
  /** Tool calls that failed (isError or a JSON-RPC error), whatever their status. */
  toolErrors: number;
  /** Latency percentiles in milliseconds; null without requests. */
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface MetricsClientJson {
  client: string;
  dataset: string | null;
  /** The --since window, as given (e.g. 1h), and in seconds. */
  since: string;
  windowSeconds: number;
  requests: number;
  status2xx: number;
  status4xx: number;
  status5xx: number;
  rateLimited: number;
  toolErrors: number;
  routes: RouteMetricsJson[];
  /** Requests per bucket over the window, oldest first, each bucketSeconds wide. */
  buckets: number[];
  bucketSeconds: number;
  error: ClientFailureJson | undefined;
}

/** `metrics --json`. */
export type MetricsJson = FleetJson<MetricsClientJson>;

function routeJson(route: RouteMetrics): RouteMetricsJson {
  return {
    route: route.route,
    ...(route.subjectHash === undefined ? {} : { subjectHash: route.subjectHash, via: route.via ?? '', subject: route.subject ?? null }),
    requests: route.requests,
    status2xx: route.status2xx,
    status4xx: route.status4xx,
    status5xx: route.status5xx,
    rateLimited: route.rateLimited,
    toolErrors: route.toolErrors,
    p50Ms: route.p50Ms,
    p95Ms: route.p95Ms,
  };
}

export function metricsJson(results: readonly ClientMetrics[], ok: boolean): MetricsJson {
  return fleetJson(results, ok, (result) => ({
    client: result.client,
    dataset: result.dataset,
    since: result.since,
    windowSeconds: result.windowSeconds,
    requests: result.requests,
    status2xx: result.status2xx,
    status4xx: result.status4xx,
    status5xx: result.status5xx,
    rateLimited: result.rateLimited,
    toolErrors: result.toolErrors,
    routes: result.routes.map(routeJson),
    buckets: [...result.buckets],
    bucketSeconds: result.bucketSeconds,
    error: clientFailureJson(result.error),
  }));
}
