import type { ClientFailure } from '../../fleet/client-failure.js';
import type { BakeJudgement } from '../bake/judge.js';

/** What a rollout means to do for one client (deploy --plan prints it; the outcome repeats it). */
export interface ClientPlan {
  /** undefined until the account's worker list is read. */
  newWorker: boolean | undefined;
  /** 'api': built once, uploaded through the Versions API; 'wrangler': `wrangler deploy --env <client>`. */
  method: 'api' | 'wrangler';
  /** Why wrangler ships this client. */
  wranglerReason?: string;
  /** Clients in one group share one bundle (1-based; wrangler builds its own). */
  buildGroup?: number;
  /** 1-based; undefined when the client is not deployed (preflight failed). */
  wave?: number;
  /** API calls this client's deploy makes (retries aside). */
  apiCalls: number;
  /**
   * The config binds version_metadata, so /health can name the version that answers and the
   * checks wait for the new one; without it they take whichever version answers.
   */
  namesVersion: boolean;
  /** Why nothing will be deployed for this client (preflight). */
  skip?: string;
}

export interface PostDeployCheck {
  ok: boolean;
  detail: string;
}

/**
 * Where a client ended up:
 * - deployed: runs the new version (verified, unless --no-verify);
 * - rolled-back: its wave failed; back on the version it ran before;
 * - kept: its wave failed with --no-rollback; still on the new version;
 * - not-started: an earlier wave failed, so the rollout never touched it;
 * - not-deployed: preflight, build or upload failed; it runs what it ran before, if anything;
 * - failed: its wave failed and going back did not work, or a new worker has nothing to go back to.
 */
export type DeployOutcome = 'deployed' | 'rolled-back' | 'kept' | 'not-started' | 'not-deployed' | 'failed';

export interface DeployResult {
  client: string;
  worker: string;
  ok: boolean;
  /** Where it stopped (or 'done'). */
  stage: 'preflight' | 'build' | 'deploy' | 'verify' | 'rollback' | 'done';
  outcome: DeployOutcome;
  /** One line: why the client is where it is. */
  why: string | undefined;
  url: string | undefined;
  /** The version the client runs now, when known. */
  versionId: string | undefined;
  /** The version this deploy uploaded (also when it was rolled back since). */
  deployedVersionId: string | undefined;
  /** The bundle's content hash (sha256), for clients built once. */
  bundleHash: string | undefined;
  /** The bundle was reused from an earlier deploy: nothing it was built from changed. */
  bundleReused: boolean | undefined;
  plan: ClientPlan;
  /** wrangler's full output (the fallback path, or the build of this client's group). */
  logPath: string | undefined;
  durationMs: number | undefined;
  /** The last lines of wrangler's output, kept for failures only. */
  output: string[] | undefined;
  /** undefined when not verified (--no-verify, or nothing was deployed). */
  verify: PostDeployCheck | undefined;
  /** `deploy --bake`: what the new version's real traffic showed; undefined when not baked. */
  bake?: BakeJudgement;
  error?: ClientFailure;
}

/** One wave's progress line: `wave 2/4: 10 clients, 7 verified …`. */
export type WaveListener = (wave: number, of: number, phase: 'working' | 'done' | 'failed' | 'skipped', detail: string) => void;

export function shortId(versionId: string | undefined): string {
  return versionId ? versionId.slice(0, 8) : '-';
}
