import type { ClientStatus, TrafficShare } from '../../ops/status/client-status.js';
import type { Capacity } from '../../ops/status/drift.js';
import type { BundleStatus, FleetStatus } from '../../ops/status/status.js';
import { type ClientFailureJson, clientFailureJson, SCHEMA_VERSION, type SchemaVersion } from './common.js';

/**
 * The document of `status`. Unlike the other documents, what is not known is null here, so every
 * field of a client is always there (only `error` is left out when the client was read, and a
 * verify's `detail` when there is none).
 */

type CodeStateJson = 'current' | 'behind' | 'unknown';

export interface TrafficShareJson {
  versionId: string;
  percentage: number;
  /** Whether this version's code is the local build. */
  code: CodeStateJson;
  tag: string | null;
}

export interface StatusClientJson {
  client: string;
  worker: string;
  /** The modes its section names: key, oauth, jwt. */
  auth: string[];
  /** The modes its running version was made with; null when unknown. A difference is drift ("auth modes"): deploy ships the section's. */
  deployedAuth: string[] | null;
  /** Text vars whose running value is not the section's: the next deploy ships the section's. */
  varsDiffer: string[];
  /** null when it could not be read. */
  exists: boolean | null;
  /** The live version (the biggest share of the live deployment). */
  versionId: string | null;
  deployedAt: string | null;
  /** What made the live deployment (upload, deployment, secret, …). */
  deployedBy: string | null;
  /** Whether the running code is the current local build. */
  code: CodeStateJson | null;
  codeWhy: string | null;
  /** `bundle-<16 hex>` of the running code, and of the local build. */
  deployedTag: string | null;
  localTag: string | null;
  /** Two shares during a gradual rollout. */
  traffic: TrafficShareJson[];
  secrets: {
    missingRemotely: string[];
    extraRemotely: string[];
    missingLocally: string[];
    pendingRotation: string | null;
    /** The plain file against its sealed copy: in-sync, differs, plain-only, sealed-only, neither, or unknown (no identity here). */
    sealed: 'in-sync' | 'differs' | 'plain-only' | 'sealed-only' | 'neither' | 'unknown';
    inSync: boolean;
  };
  compatibilityDate: { deployed: string | null; config: string | null; matches: boolean | null };
  /** With --verify: the checks that failed (none when ok); null without --verify or without a worker. */
  verify: { ok: boolean; failed: string[]; detail: string | undefined } | null;
  /** What differs, in words; empty when the client matches the project. */
  drift: string[];
  inSync: boolean;
  error: ClientFailureJson | undefined;
}

export interface BundleStatusJson {
  group: number;
  clients: string[];
  ok: boolean;
  tag: string | null;
  /** Reused from the build cache. */
  cached: boolean;
  /** Why the build failed; absent when it did not. */
  failure: string | undefined;
  durationMs: number;
}

export interface CapacityJson {
  /** Workers in the account (every worker, not only the fleet's). */
  workers: number;
  limit: number;
  /** workers / limit. */
  share: number;
  warning: boolean;
}

/** `status --json`. */
export interface StatusJson {
  schemaVersion: SchemaVersion;
  ok: boolean;
  clients: StatusClientJson[];
  /** The local build (one entry per build group). */
  bundles: BundleStatusJson[];
  /** null when the account's workers could not be listed. */
  capacity: CapacityJson | null;
  /** With --all: the account's workers no section of the config names (adopt one: add <worker> --adopt); null otherwise, or when the list could not be read. */
  notInConfig: string[] | null;
}

function trafficJson(share: TrafficShare): TrafficShareJson {
  return { versionId: share.versionId, percentage: share.percentage, code: share.code, tag: share.tag ?? null };
}

function statusClientJson(result: ClientStatus): StatusClientJson {
  const { secrets, compatibilityDate: compat, verify } = result;
  return {
    client: result.client,
    worker: result.worker,
    auth: [...result.auth],
    deployedAuth: result.deployedAuth ? [...result.deployedAuth] : null,
    varsDiffer: [...result.varsDiffer],
    exists: result.exists ?? null,
    versionId: result.versionId ?? null,
    deployedAt: result.deployedAt ?? null,
    deployedBy: result.deployedBy ?? null,
    code: result.code ?? null,
    codeWhy: result.codeWhy ?? null,
    deployedTag: result.deployedTag ?? null,
    localTag: result.localTag ?? null,
    traffic: result.traffic.map(trafficJson),
    secrets: {
      missingRemotely: [...secrets.missingRemotely],
      extraRemotely: [...secrets.extraRemotely],
      missingLocally: [...secrets.missingLocally],
      pendingRotation: secrets.pendingRotation ?? null,
      sealed: secrets.sealed,
      inSync: secrets.inSync,
    },
    compatibilityDate: { deployed: compat.deployed ?? null, config: compat.config ?? null, matches: compat.matches ?? null },
    verify: verify ? { ok: verify.ok, failed: [...verify.failed], detail: verify.detail } : null,
    drift: [...result.drift],
    inSync: result.inSync,
    error: clientFailureJson(result.error),
  };
}

function bundleJson(bundle: BundleStatus): BundleStatusJson {
  return {
    group: bundle.group,
    clients: [...bundle.clients],
    ok: bundle.ok,
    tag: bundle.tag ?? null,
    cached: bundle.cached,
    failure: bundle.failure,
    durationMs: bundle.durationMs,
  };
}

function capacityJson(capacity: Capacity | undefined): CapacityJson | null {
  return capacity ? { workers: capacity.workers, limit: capacity.limit, share: capacity.share, warning: capacity.warning } : null;
}

export function statusJson(status: FleetStatus, ok: boolean): StatusJson {
  return {
    schemaVersion: SCHEMA_VERSION,
    ok,
    clients: status.clients.map(statusClientJson),
    bundles: status.bundles.map(bundleJson),
    capacity: capacityJson(status.capacity),
    notInConfig: status.notInConfig ? [...status.notInConfig] : null,
  };
}
