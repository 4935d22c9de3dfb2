import type { RateLimit } from '../../../cloudflare/pacer.js';
import type { RemoteScript } from '../../../cloudflare/workers-api.js';
import type { BakeLimits } from '../bake/bake-limits.js';
import { BAKE_CHECKPOINTS } from '../bake/bake-wave.js';
import type { ClientSettings } from './client-settings.js';
import type { ClientPlan } from './results.js';
import { settingsDrift } from './ship-direct.js';

/**
 * API calls per client, as the edge's request log counts them (retries aside), and how long a
 * rollout needs at least under the API budget. wrangler's counts are what it was measured making.
 */
export const API_CALLS = {
  /** A version upload and its deployment. */
  existing: 2,
  /** A script upload (created and deployed) and its workers.dev URL. */
  created: 2,
  /** Tags or observability differ from the config: one settings call. */
  settingsDrift: 1,
  wranglerNew: 8,
  wranglerExisting: 9,
  /** Per command: the account's worker list (and, on Cloudflare, its workers.dev subdomain for URLs). */
  perCommand: 1,
} as const;

export function clientPlan(
  settings: ClientSettings,
  remote: ReadonlyMap<string, RemoteScript> | undefined,
  buildGroup: number | undefined,
): ClientPlan {
  const existing = remote?.get(settings.client.workerName);
  const newWorker = remote === undefined ? undefined : existing === undefined;
  const namesVersion = settings.bindings.some((binding) => binding.type === 'version_metadata');
  if (settings.wranglerOnly) {
    return {
      newWorker,
      namesVersion,
      method: 'wrangler',
      wranglerReason: settings.wranglerOnly,
      apiCalls: newWorker ? API_CALLS.wranglerNew : API_CALLS.wranglerExisting,
    };
  }
  const calls = existing ? API_CALLS.existing + (settingsDrift(settings, existing) ? API_CALLS.settingsDrift : 0) : API_CALLS.created;
  return { newWorker, namesVersion, method: 'api', apiCalls: calls, ...(buildGroup === undefined ? {} : { buildGroup }) };
}

/** Which clients a ramp takes step by step: existing workers on the direct upload (a new worker has no old version to split with). */
export function rampable(plan: ClientPlan): boolean {
  return plan.method === 'api' && plan.newWorker === false && plan.skip === undefined;
}

export interface RolloutEstimate {
  builds: number;
  /** Clients per wave. */
  waves: number[];
  apiCalls: number;
  budget: { requests: number; windowSeconds: number };
  /** The least time the budget allows for that many calls (0 when they fit in one window). */
  budgetWaitSeconds: number;
  /** Builds, uploads under the budget, a verification per wave and its bake, roughly. */
  estimatedSeconds: number;
  /** --bake: what holds each wave, and the Analytics Engine queries it costs (at most, per client: an early breach sends fewer). */
  bake?: BakeLimits & { queriesPerClient: number };
  /** --ramp: the shares each wave's existing workers take before 100 %. */
  ramp?: number[];
}

/** Rough costs on a 2-core machine: a wrangler build, a wrangler deploy, a wave's verification. */
const SECONDS = { build: 4, wranglerDeploy: 10, verifyWave: 3, upload: 0.5 } as const;

export function estimateRollout(
  plans: readonly ClientPlan[],
  builds: number,
  waves: readonly number[],
  options: { limit: RateLimit; concurrency: number; verify: boolean; bake?: BakeLimits | undefined; ramp?: readonly number[] },
): RolloutEstimate {
  const deployed = plans.filter((plan) => plan.skip === undefined);
  const steps = 1 + (options.ramp?.length ?? 0);
  const bakeCalls = options.bake ? BAKE_CHECKPOINTS * steps * deployed.length : 0;
  const apiCalls = API_CALLS.perCommand + deployed.reduce((sum, plan) => sum + plan.apiCalls, 0) + bakeCalls;
  const windows = Math.floor(Math.max(0, apiCalls - 1) / options.limit.requests);
  const budgetWaitSeconds = (windows * options.limit.windowMs) / 1000;
  const direct = deployed.filter((plan) => plan.method === 'api').length;
  const wrangler = deployed.length - direct;
  const work =
    Math.ceil(builds / 2) * SECONDS.build +
    Math.ceil(direct / Math.max(1, options.concurrency)) * SECONDS.upload +
    Math.ceil(wrangler / 4) * SECONDS.wranglerDeploy +
    (options.verify ? waves.length * steps * (SECONDS.verifyWave + (options.bake?.seconds ?? 0)) : 0);
  return {
    builds,
    waves: [...waves],
    apiCalls,
    budget: { requests: options.limit.requests, windowSeconds: options.limit.windowMs / 1000 },
    budgetWaitSeconds,
    estimatedSeconds: Math.round(Math.max(work, budgetWaitSeconds + SECONDS.verifyWave)),
    ...(options.bake ? { bake: { ...options.bake, queriesPerClient: BAKE_CHECKPOINTS * steps } } : {}),
    ...(options.ramp?.length ? { ramp: [...options.ramp] } : {}),
  };
}
