import type { BakeJudgement } from '../../ops/deploy/bake/judge.js';
import type { RollbackResult } from '../../ops/deploy/rollback.js';
import type { DeployPlan } from '../../ops/deploy/rollout/plan-deploy.js';
import type { ClientPlan, DeployResult, PostDeployCheck } from '../../ops/deploy/rollout/results.js';
import { type ClientFailureJson, clientFailureJson, type FleetJson, fleetJson, SCHEMA_VERSION, type SchemaVersion } from './common.js';

/** The documents of deploy, deploy --plan and rollback. */

/** What a rollout means to do for one client. */
export interface ClientPlanJson {
  /** undefined until the account's worker list is read. */
  newWorker: boolean | undefined;
  /** api: built once, uploaded through the Versions API; wrangler: `wrangler deploy --env <client>`. */
  method: 'api' | 'wrangler';
  wranglerReason: string | undefined;
  /** Clients of one group share one bundle (1-based). */
  buildGroup: number | undefined;
  /** 1-based; undefined when the client is not deployed (preflight failed). */
  wave: number | undefined;
  apiCalls: number;
  /** The config binds version_metadata, so the checks wait for the new version. */
  namesVersion: boolean;
  /** Why nothing will be deployed for this client. */
  skip: string | undefined;
}

export function clientPlanJson(plan: ClientPlan): ClientPlanJson {
  return {
    newWorker: plan.newWorker,
    method: plan.method,
    wranglerReason: plan.wranglerReason,
    buildGroup: plan.buildGroup,
    wave: plan.wave,
    apiCalls: plan.apiCalls,
    namesVersion: plan.namesVersion,
    skip: plan.skip,
  };
}

export interface CheckOutcomeJson {
  ok: boolean;
  detail: string;
}

function checkOutcomeJson(check: PostDeployCheck | undefined): CheckOutcomeJson | undefined {
  return check ? { ok: check.ok, detail: check.detail } : undefined;
}

/** One client of `deploy --json`. */
export interface DeployClientJson {
  client: string;
  worker: string;
  ok: boolean;
  /** Where it stopped (or done). */
  stage: 'preflight' | 'build' | 'deploy' | 'verify' | 'rollback' | 'done';
  /** Where it ended up: see DeployOutcome in the rollout. */
  outcome: 'deployed' | 'rolled-back' | 'kept' | 'not-started' | 'not-deployed' | 'failed';
  /** One line: why the client is where it is. */
  why: string | undefined;
  url: string | undefined;
  /** The version the client runs now, when known. */
  versionId: string | undefined;
  /** The version this deploy uploaded (also when it was rolled back since). */
  deployedVersionId: string | undefined;
  /** The bundle's content hash (sha256), for clients built once. */
  bundleHash: string | undefined;
  bundleReused: boolean | undefined;
  plan: ClientPlanJson;
  /** wrangler's full output. */
  logPath: string | undefined;
  durationMs: number | undefined;
  /** The last lines of wrangler's output, for failures only. */
  output: string[] | undefined;
  /** undefined when not verified. */
  verify: CheckOutcomeJson | undefined;
  /** `deploy --bake`: the verdict on the new version's own traffic and the figures that decided; absent when not baked. */
  bake?: BakeJson;
  error: ClientFailureJson | undefined;
}

export interface BakeJson {
  verdict: 'breach' | 'healthy' | 'too-little-traffic' | 'unreadable' | 'cut-short';
  detail: string;
  /** /mcp requests the new version served to callers (mcp-fleet's checks and 429s left out). */
  requests: number | null;
  status5xx: number | null;
  toolCalls: number | null;
  toolErrors: number | null;
  /** (5xx + failed tool calls) / requests, 0..1. */
  errorRate: number | null;
  p95Ms: number | null;
}

function bakeJson(bake: BakeJudgement | undefined): { bake?: BakeJson } {
  if (!bake) return {};
  const figures = bake.figures;
  return {
    bake: {
      verdict: bake.verdict,
      detail: bake.detail,
      requests: figures?.requests ?? null,
      status5xx: figures?.status5xx ?? null,
      toolCalls: figures?.toolCalls ?? null,
      toolErrors: figures?.toolErrors ?? null,
      errorRate: bake.errorRate ?? null,
      p95Ms: figures?.p95Ms ?? null,
    },
  };
}

/** `deploy --json` (and the `deploy` of `add --deploy --json`). */
export type DeployJson = FleetJson<DeployClientJson>;

export function deployJson(results: readonly DeployResult[], ok: boolean): DeployJson {
  return fleetJson(results, ok, (result) => ({
    client: result.client,
    worker: result.worker,
    ok: result.ok,
    stage: result.stage,
    outcome: result.outcome,
    why: result.why,
    url: result.url,
    versionId: result.versionId,
    deployedVersionId: result.deployedVersionId,
    bundleHash: result.bundleHash,
    bundleReused: result.bundleReused,
    plan: clientPlanJson(result.plan),
    logPath: result.logPath,
    durationMs: result.durationMs,
    output: result.output ? [...result.output] : undefined,
    verify: checkOutcomeJson(result.verify),
    ...bakeJson(result.bake),
    error: clientFailureJson(result.error),
  }));
}

/** `deploy --plan --json`: nothing is changed. */
export interface DeployPlanJson {
  schemaVersion: SchemaVersion;
  ok: true;
  plan: {
    builds: number;
    /** Clients per wave. */
    waves: number[];
    apiCalls: number;
    budget: { requests: number; windowSeconds: number };
    /** The least time the API budget allows for that many calls. */
    budgetWaitSeconds: number;
    estimatedSeconds: number;
    /** --bake: how each wave is held on real traffic; absent without --bake. */
    bake?: { seconds: number; maxErrorRate: number; maxP95Ms: number | null; minRequests: number; queriesPerClient: number };
    /** --ramp: the shares of traffic each wave's existing workers take before 100 %; absent without --ramp. */
    ramp?: number[];
  };
  clients: (ClientPlanJson & { client: string; worker: string })[];
}

export function deployPlanJson(plan: DeployPlan): DeployPlanJson {
  const { estimate } = plan;
  return {
    schemaVersion: SCHEMA_VERSION,
    ok: true,
    plan: {
      builds: estimate.builds,
      waves: [...estimate.waves],
      apiCalls: estimate.apiCalls,
      budget: { requests: estimate.budget.requests, windowSeconds: estimate.budget.windowSeconds },
      budgetWaitSeconds: estimate.budgetWaitSeconds,
      estimatedSeconds: estimate.estimatedSeconds,
      ...(estimate.bake
        ? {
            bake: {
              seconds: estimate.bake.seconds,
              maxErrorRate: estimate.bake.maxErrorRate,
              maxP95Ms: estimate.bake.maxP95Ms ?? null,
              minRequests: estimate.bake.minRequests,
              queriesPerClient: estimate.bake.queriesPerClient,
            },
          }
        : {}),
      ...(estimate.ramp ? { ramp: [...estimate.ramp] } : {}),
    },
    clients: plan.clients.map((client) => ({ client: client.client, worker: client.worker, ...clientPlanJson(client) })),
  };
}

/** One client of `rollback --json`. */
export interface RollbackClientJson {
  client: string;
  worker: string;
  ok: boolean;
  /** redeployed: an earlier version made live again; reuploaded: its code with today's secrets; unchanged: it already ran it. */
  how: 'redeployed' | 'reuploaded' | 'unchanged' | undefined;
  /** What ran before. */
  fromVersionId: string | undefined;
  /** The version whose code runs now. */
  targetVersionId: string | undefined;
  /** What runs now (a new version when the code was re-uploaded). */
  versionId: string | undefined;
  verify: CheckOutcomeJson | undefined;
  error: ClientFailureJson | undefined;
}

/** `rollback --json`. */
export type RollbackJson = FleetJson<RollbackClientJson>;

export function rollbackJson(results: readonly RollbackResult[], ok: boolean): RollbackJson {
  return fleetJson(results, ok, (result) => ({
    client: result.client,
    worker: result.worker,
    ok: result.ok,
    how: result.how,
    fromVersionId: result.fromVersionId,
    targetVersionId: result.targetVersionId,
    versionId: result.versionId,
    verify: checkOutcomeJson(result.verify),
    error: clientFailureJson(result.error),
  }));
}
