import type { PushResult } from '../../ops/secrets/push.js';
import type { RetireResult } from '../../ops/secrets/retire.js';
import type { RotateResult } from '../../ops/secrets/rotate.js';
import type { RotationProof } from '../../ops/secrets/rotation/proof.js';
import type { StatusResult } from '../../ops/secrets/status.js';
import { type ClientFailureJson, clientFailureJson, type FleetJson, fleetJson } from './common.js';

/** The documents of `secrets push|status|rotate|retire`: names of secrets only, never a value. */

/** One client of `secrets push --json`. */
export interface PushClientJson {
  client: string;
  worker: string;
  ok: boolean;
  /** Names of the secrets sent. */
  keys: string[];
  /** Optional keys left out because their value is empty. */
  skippedEmpty: string[];
  warnings: string[];
  error: ClientFailureJson | undefined;
}

export type PushJson = FleetJson<PushClientJson>;

export function pushJson(results: readonly PushResult[], ok: boolean): PushJson {
  return fleetJson(results, ok, (result) => ({
    client: result.client,
    worker: result.worker,
    ok: result.ok,
    keys: [...result.keys],
    skippedEmpty: [...result.skippedEmpty],
    warnings: [...result.warnings],
    error: clientFailureJson(result.error),
  }));
}

/** One client of `secrets status --json`. */
export interface SecretsStatusClientJson {
  client: string;
  worker: string;
  /** Whether the worker exists; undefined when the check itself failed. */
  deployed: boolean | undefined;
  /** Keys with a value in .secrets.<client>. */
  local: string[];
  /** Secret names on the worker. */
  remote: string[];
  missingRemotely: string[];
  extraRemotely: string[];
  /** Required by .secrets.template but absent or empty locally. */
  missingLocally: string[];
  /** The key of a rotation that has not finished. */
  pendingRotation: string | undefined;
  /** The plain file against its sealed copy: in-sync, differs, plain-only, sealed-only, neither, or unknown (no identity here to open it). */
  sealed: 'in-sync' | 'differs' | 'plain-only' | 'sealed-only' | 'neither' | 'unknown';
  inSync: boolean;
  error: ClientFailureJson | undefined;
}

export type SecretsStatusJson = FleetJson<SecretsStatusClientJson>;

export function secretsStatusJson(results: readonly StatusResult[], ok: boolean): SecretsStatusJson {
  return fleetJson(results, ok, (result) => ({
    client: result.client,
    worker: result.worker,
    deployed: result.deployed,
    local: [...result.local],
    remote: [...result.remote],
    missingRemotely: [...result.missingRemotely],
    extraRemotely: [...result.extraRemotely],
    missingLocally: [...result.missingLocally],
    pendingRotation: result.pendingRotation,
    sealed: result.sealed,
    inSync: result.inSync,
    error: clientFailureJson(result.error),
  }));
}

/** What a rotation (or retire) proved from outside, with the keys themselves left out. */
export interface RotationProofJson {
  /** The new key opens /mcp. */
  newAccepted: boolean;
  /** The previous key is refused (undefined when there was none). */
  oldRefused: boolean | undefined;
  /** In a grace period the previous key must still be accepted instead. */
  grace: boolean;
  /** How many earlier keys (from the backups) were checked. */
  staleChecked: number;
  staleRefused: boolean | undefined;
  ok: boolean;
  detail: string;
}

function proofJson(proof: RotationProof | undefined): RotationProofJson | undefined {
  if (!proof) return undefined;
  return {
    newAccepted: proof.newAccepted,
    oldRefused: proof.oldRefused,
    grace: proof.grace,
    staleChecked: proof.staleChecked,
    staleRefused: proof.staleRefused,
    ok: proof.ok,
    detail: proof.detail,
  };
}

/** One client of `secrets rotate --json`. */
export interface RotateClientJson {
  client: string;
  worker: string;
  key: string;
  ok: boolean;
  /** This run finished a rotation an earlier run had started. */
  resumed: boolean;
  /** none: nothing changed; unknown: a push whose answer was lost (re-run to converge); pushed; saved (file too); proven. */
  reached: 'none' | 'unknown' | 'pushed' | 'saved' | 'proven';
  /** Copy of the secrets file from before the rotation. */
  backup: string | undefined;
  /** undefined when the key is not API_KEY or the run stopped earlier. */
  proof: RotationProofJson | undefined;
  warnings: string[];
  error: ClientFailureJson | undefined;
}

export type RotateJson = FleetJson<RotateClientJson>;

export function rotateJson(results: readonly RotateResult[], ok: boolean): RotateJson {
  return fleetJson(results, ok, (result) => ({
    client: result.client,
    worker: result.worker,
    key: result.key,
    ok: result.ok,
    resumed: result.resumed,
    reached: result.reached,
    backup: result.backup,
    proof: proofJson(result.proof),
    warnings: [...result.warnings],
    error: clientFailureJson(result.error),
  }));
}

/** One client of `secrets retire --json`. */
export interface RetireClientJson {
  client: string;
  worker: string;
  ok: boolean;
  /** A previous key was in its grace period and is now gone. */
  retired: boolean;
  proof: RotationProofJson | undefined;
  warnings: string[];
  error: ClientFailureJson | undefined;
}

export type RetireJson = FleetJson<RetireClientJson>;

export function retireJson(results: readonly RetireResult[], ok: boolean): RetireJson {
  return fleetJson(results, ok, (result) => ({
    client: result.client,
    worker: result.worker,
    ok: result.ok,
    retired: result.retired,
    proof: proofJson(result.proof),
    warnings: [...result.warnings],
    error: clientFailureJson(result.error),
  }));
}
