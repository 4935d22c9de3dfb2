import type { EdgeEnv, EdgeStatus, StopOutcome } from '../../local/lifecycle/detach.js';
import type { EdgeInfo } from '../../local/lifecycle/edge-file.js';
import type { WorkerSummary } from '../../local/runtime/worker-summary.js';
import { SCHEMA_VERSION, type SchemaVersion } from './common.js';

/**
 * The documents of `local start|env|status|stop`. The edge's token is in `local env` only (that is
 * what it is for); start and status leave it out.
 */

/** How to reach a running local edge, without its token. */
export interface LocalEdgeFields {
  /** e.g. http://127.0.0.1:8787/client/v4 */
  apiBaseUrl: string;
  accountId: string;
  pid: number;
  port: number;
  /** e.g. http://{name}.localhost:8787 */
  workerUrlTemplate: string;
  /** For clients that cannot resolve *.localhost: e.g. http://127.0.0.1:8787/__workers/{name}. */
  workerPathUrlTemplate: string | undefined;
  adminUrl: string;
  startedAt: string;
}

/** How a Node program (e.g. the MCP Inspector) resolves *.localhost. */
export interface NodeResolverJson {
  nodeImport: string;
  nodeOptions: string;
}

/** `local start --json` (with or without --detach). */
export interface LocalEdgeJson extends LocalEdgeFields {
  schemaVersion: SchemaVersion;
}

function edgeFields(info: EdgeInfo): LocalEdgeFields {
  return {
    apiBaseUrl: info.apiBaseUrl,
    accountId: info.accountId,
    pid: info.pid,
    port: info.port,
    workerUrlTemplate: info.workerUrlTemplate,
    workerPathUrlTemplate: info.workerPathUrlTemplate,
    adminUrl: info.adminUrl,
    startedAt: info.startedAt,
  };
}

export function localEdgeJson(info: EdgeInfo): LocalEdgeJson {
  return { schemaVersion: SCHEMA_VERSION, ...edgeFields(info) };
}

/** `local env --json`: the variables `local env` exports (the token among them), and how Node resolves *.localhost. */
export interface LocalEnvJson extends NodeResolverJson {
  schemaVersion: SchemaVersion;
  CLOUDFLARE_API_BASE_URL: string;
  CLOUDFLARE_BASE_URL: string;
  CLOUDFLARE_API_TOKEN: string;
  CLOUDFLARE_ACCOUNT_ID: string;
  WRANGLER_SEND_METRICS: 'false';
  WRANGLER_SEND_ERROR_REPORTS: 'false';
  workerUrlTemplate: string;
}

export function localEnvJson(env: EdgeEnv, info: EdgeInfo, node: NodeResolverJson): LocalEnvJson {
  return {
    schemaVersion: SCHEMA_VERSION,
    CLOUDFLARE_API_BASE_URL: env.CLOUDFLARE_API_BASE_URL,
    CLOUDFLARE_BASE_URL: env.CLOUDFLARE_BASE_URL,
    CLOUDFLARE_API_TOKEN: env.CLOUDFLARE_API_TOKEN,
    CLOUDFLARE_ACCOUNT_ID: env.CLOUDFLARE_ACCOUNT_ID,
    WRANGLER_SEND_METRICS: env.WRANGLER_SEND_METRICS,
    WRANGLER_SEND_ERROR_REPORTS: env.WRANGLER_SEND_ERROR_REPORTS,
    workerUrlTemplate: info.workerUrlTemplate,
    nodeImport: node.nodeImport,
    nodeOptions: node.nodeOptions,
  };
}

/** A worker the local edge serves: names of its vars and secrets, never values. */
export interface LocalWorkerJson {
  name: string;
  url: string;
  /** Whether workerd runs it now (false when its code failed to start). */
  running: boolean;
  versionId: string | null;
  modifiedOn: string;
  vars: string[];
  secrets: string[];
  analytics: { binding: string; dataset: string }[];
}

/** `local status --json`: exit 1 when the edge is not running. */
export type LocalStatusJson =
  | ({ schemaVersion: SchemaVersion; running: true; stale: false } & LocalEdgeFields & { workers: LocalWorkerJson[] } & NodeResolverJson)
  | { schemaVersion: SchemaVersion; running: false; stale: boolean; workers: [] };

function workerJson(worker: WorkerSummary): LocalWorkerJson {
  return {
    name: worker.name,
    url: worker.url,
    running: worker.running,
    versionId: worker.versionId,
    modifiedOn: worker.modifiedOn,
    vars: [...worker.vars],
    secrets: [...worker.secrets],
    analytics: worker.analytics.map((entry) => ({ binding: entry.binding, dataset: entry.dataset })),
  };
}

export function localStatusJson(status: EdgeStatus, node: NodeResolverJson): LocalStatusJson {
  if (!status.running) return { schemaVersion: SCHEMA_VERSION, running: false, stale: status.stale, workers: [] };
  return {
    schemaVersion: SCHEMA_VERSION,
    running: true,
    stale: false,
    ...edgeFields(status.info),
    workers: (status.workers ?? []).map(workerJson),
    nodeImport: node.nodeImport,
    nodeOptions: node.nodeOptions,
  };
}

/** `local stop --json`. */
export type LocalStopJson =
  | { schemaVersion: SchemaVersion; stopped: true; pid: number }
  | { schemaVersion: SchemaVersion; stopped: false; running: false };

export function localStopJson(outcome: StopOutcome): LocalStopJson {
  return outcome.kind === 'stopped'
    ? { schemaVersion: SCHEMA_VERSION, stopped: true, pid: outcome.pid }
    : { schemaVersion: SCHEMA_VERSION, stopped: false, running: false };
}
