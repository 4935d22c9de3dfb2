import type { Pacer } from '../../../cloudflare/pacer.js';
import { sharedPacer } from '../../../cloudflare/pacer.js';
import type { Target } from '../../../cloudflare/target.js';
import { createWorkersApi, type WorkersApi } from '../../../cloudflare/workers-api.js';
import type { Client, Fleet } from '../../../fleet/fleet.js';
import { DEFAULT_CONCURRENCY } from '../../fleet/defaults.js';
import type { BakeLimits } from '../bake/bake-limits.js';
import { estimateRollout, type RolloutEstimate, rampable } from './plan.js';
import { prepareRollout, type WaveOptions } from './prepare.js';
import type { ClientPlan } from './results.js';

/**
 * `deploy --plan`: what a deploy would do, without doing any of it. Reads the secrets files (so a
 * client that would be skipped says why) and the account's worker list (one read call: new or
 * existing); builds nothing and makes no write call.
 */

export interface PlannedClient extends ClientPlan {
  client: string;
  worker: string;
}

export interface DeployPlan {
  clients: PlannedClient[];
  estimate: RolloutEstimate;
}

export interface PlanDeployOptions {
  fleet: Fleet;
  clients: readonly Client[];
  target: Target;
  waves: WaveOptions;
  verify: boolean;
  bake?: BakeLimits | undefined;
  ramp?: readonly number[] | undefined;
  concurrency?: number;
  pacer?: Pacer;
  api?: WorkersApi;
}

export async function planDeploy(options: PlanDeployOptions): Promise<DeployPlan> {
  const pacer = options.pacer ?? sharedPacer();
  const api = options.api ?? createWorkersApi(options.target, { pacer });
  const prepared = await prepareRollout({ fleet: options.fleet, clients: options.clients, api, waves: options.waves, build: false });
  const ramp = options.ramp ?? [];
  const clients = prepared.results.map((result) => ({
    client: result.client,
    worker: result.worker,
    ...result.plan,
    // A ramp reads the live deployment once, then deploys each share: only existing workers on the direct upload ramp.
    apiCalls: result.plan.apiCalls + (ramp.length > 0 && rampable(result.plan) ? 1 + ramp.length : 0),
  }));
  const estimate = estimateRollout(
    clients,
    prepared.groups.length,
    prepared.waves.map((wave) => wave.length),
    {
      limit: pacer.limits[0] as (typeof pacer.limits)[number],
      concurrency: options.concurrency ?? DEFAULT_CONCURRENCY.upload,
      verify: options.verify,
      bake: options.bake,
      ramp,
    },
  );
  return { clients, estimate };
}
