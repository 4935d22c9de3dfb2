import type { Pacer } from '../../cloudflare/pacer.js';
import type { Target } from '../../cloudflare/target.js';
import type { WorkersApi } from '../../cloudflare/workers-api.js';
import type { Client, Fleet } from '../../fleet/fleet.js';
import type { ProgressListener } from '../fleet/progress.js';
import type { BakeLimits } from './bake/bake-limits.js';
import type { WaveOptions } from './rollout/prepare.js';
import type { DeployResult, WaveListener } from './rollout/results.js';
import { runRollout } from './rollout/rollout.js';
import { DEFAULT_WAVE_STEPS } from './rollout/waves.js';

// deployFleet's result, importable beside DeployOptions.

export interface DeployOptions {
  fleet: Fleet;
  clients: readonly Client[];
  target: Target;
  /** Clients uploaded at once within a wave. */
  concurrency?: number;
  /** Check each wave's workers before the next (--no-verify turns it off, and with it the waves). */
  verify: boolean;
  /** Waves (default: a canary, then 10%, 50%, the rest); ignored without verification. */
  waves?: Partial<WaveOptions>;
  /** Roll a failed wave back (default true; --no-rollback). */
  rollback?: boolean;
  /** `--bake`: each wave, once verified, is held on real traffic and rolled back on a breach. */
  bake?: BakeLimits | undefined;
  /** `--ramp`: inside each wave, the shares of traffic each existing worker's new version takes before 100 %. */
  ramp?: readonly number[] | undefined;
  onProgress?: ProgressListener;
  onWave?: WaveListener;
  pacer?: Pacer;
  api?: WorkersApi;
}

/**
 * Ships code and secrets to each client's worker. Every deploy carries the client's secrets, not
 * only a worker's first one, because then:
 * - a new worker is never reachable without them (its first version already has them);
 * - code and secrets land in one version, and that version holds exactly the values preflight
 *   validated — a rollback to it brings back matching secrets, or Cloudflare refuses it (10220);
 * - nothing races between a secrets call and the upload.
 * The file is the source of truth (push and rotate write it); secrets that exist only on the worker
 * are kept. The bundle is built once per build configuration and uploaded through the Versions API
 * (2 calls per existing worker, 2–3 per new one); clients whose config uses what the direct upload
 * does not reproduce go through `wrangler deploy --env <client>` in the same waves. See rollout/.
 */
export function deployFleet(options: DeployOptions): Promise<DeployResult[]> {
  const waves: WaveOptions = {
    steps: options.waves?.steps ?? DEFAULT_WAVE_STEPS,
    canary: options.waves?.canary,
    // Without verification a wave proves nothing, so everyone goes at once.
    allAtOnce: !options.verify || (options.waves?.allAtOnce ?? false),
  };
  return runRollout({
    fleet: options.fleet,
    clients: options.clients,
    target: options.target,
    concurrency: options.concurrency,
    verify: options.verify,
    rollback: options.rollback ?? true,
    waves,
    bake: options.bake,
    ramp: options.ramp,
    onProgress: options.onProgress,
    onWave: options.onWave,
    ...(options.pacer ? { pacer: options.pacer } : {}),
    ...(options.api ? { api: options.api } : {}),
  });
}
