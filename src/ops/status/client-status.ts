import { type AuthMode, modesOf } from '../../config/auth-modes.js';
import type { Client } from '../../fleet/fleet.js';
import type { ClientSettings } from '../deploy/rollout/client-settings.js';
import type { ClientOutcome } from '../fleet/runner.js';
import { clientModes } from '../identity/store.js';
import type { SealState } from '../secrets/seal.js';
import { type CodeState, codeVerdict, driftOf, expectedTag } from './drift.js';
import type { RemoteState } from './remote.js';

/** One client's row of `status`, and how it is filled from what was read (no I/O here). */

export interface TrafficShare {
  versionId: string;
  percentage: number;
  /** Whether this version's code is the local build. */
  code: CodeState;
  tag: string | undefined;
}

export interface ClientStatus extends ClientOutcome {
  client: string;
  worker: string;
  /** How callers prove who they are, as its section says (vars.AUTH_MODES). */
  auth: AuthMode[];
  /** The modes the running version was made with; undefined when it could not be read. */
  deployedAuth: AuthMode[] | undefined;
  /**
   * Text vars whose value on the running version is not the section's (set, changed or removed
   * since the last deploy: a rate limit, an upstream URL); AUTH_MODES has its own drift.
   */
  varsDiffer: string[];
  /** undefined when it could not be read. */
  exists: boolean | undefined;
  /** The live version (the biggest share of the live deployment). */
  versionId: string | undefined;
  /** When the live deployment was made, and what made it (upload, deployment, secret, …). */
  deployedAt: string | undefined;
  deployedBy: string | undefined;
  /** Whether the running code is the current local build (of the biggest share, during a split). */
  code: CodeState | undefined;
  codeWhy: string | undefined;
  /** `bundle-<16 hex>` of the running code, and of the local build. */
  deployedTag: string | undefined;
  localTag: string | undefined;
  /** The live deployment's versions; two during a gradual rollout. */
  traffic: TrafficShare[];
  secrets: {
    missingRemotely: string[];
    extraRemotely: string[];
    missingLocally: string[];
    pendingRotation: string | undefined;
    /** The plain file against its sealed copy (secrets seal): `differs` is drift. */
    sealed: SealState;
    inSync: boolean;
  };
  compatibilityDate: { deployed: string | undefined; config: string | undefined; matches: boolean | undefined };
  /** With --verify: the checks that failed (none when ok). */
  verify: { ok: boolean; failed: string[]; detail?: string } | undefined;
  /** What differs, in words; empty when the client matches the project. */
  drift: string[];
  inSync: boolean;
}

/**
 * The text vars that differ between the section and the running version (AUTH_MODES aside). Only
 * text vars are compared: a var that is an object or a number travels as a json binding.
 */
export function differingVars(config: Readonly<Record<string, unknown>>, deployed: Readonly<Record<string, string>>): string[] {
  const names = new Set([...Object.keys(config).filter((name) => typeof config[name] === 'string'), ...Object.keys(deployed)]);
  names.delete('AUTH_MODES');
  return [...names].filter((name) => config[name] !== deployed[name]).sort();
}

export function emptyStatus(client: Client, settings: ClientSettings): ClientStatus {
  return {
    client: client.name,
    worker: client.workerName,
    auth: clientModes(client),
    deployedAuth: undefined,
    varsDiffer: [],
    exists: undefined,
    versionId: undefined,
    deployedAt: undefined,
    deployedBy: undefined,
    code: undefined,
    codeWhy: undefined,
    deployedTag: undefined,
    localTag: undefined,
    traffic: [],
    secrets: { missingRemotely: [], extraRemotely: [], missingLocally: [], pendingRotation: undefined, sealed: 'neither', inSync: false },
    compatibilityDate: { deployed: undefined, config: settings.compatibilityDate, matches: undefined },
    verify: undefined,
    drift: [],
    inSync: false,
  };
}

/** Fills in what the worker runs, given the local bundle's hash (or why there is none). */
export function applyRemote(
  result: ClientStatus,
  remote: RemoteState,
  local: { hash: string | undefined; why: string | undefined },
  configVars: Readonly<Record<string, unknown>> = {},
): void {
  result.exists = remote.exists;
  result.localTag = local.hash === undefined ? undefined : expectedTag({ hash: local.hash });
  if (!remote.exists) return;
  const live = remote.live;
  const shares = [...(live?.versions ?? [])].sort((a, b) => b.percentage - a.percentage);
  result.versionId = shares[0]?.version_id;
  result.deployedAt = live?.created_on;
  result.deployedBy = live?.annotations?.['workers/triggered_by'];
  const [main] = remote.codeVersions;
  if (!main) {
    result.code = 'unknown';
    result.codeWhy = remote.codeUnknown;
  } else {
    const verdict = codeVerdict(main.annotations, local.hash, local.why);
    result.code = verdict.state;
    result.codeWhy = verdict.why;
    result.deployedTag = main.annotations['workers/tag'];
    result.compatibilityDate.deployed = main.compatibilityDate;
    result.deployedAuth = main.vars === undefined ? undefined : modesOf(main.vars.AUTH_MODES);
    result.varsDiffer = main.vars === undefined ? [] : differingVars(configVars, main.vars);
  }
  // The code versions are the live ones, or (after secret changes) the single version they were made from.
  const sameDeployment =
    remote.codeVersions.length === shares.length && shares.every((s, i) => s.version_id === remote.codeVersions[i]?.id);
  result.traffic = shares.map((share, index) => {
    const version = sameDeployment ? remote.codeVersions[index] : main;
    return {
      versionId: share.version_id,
      percentage: share.percentage,
      code: version ? codeVerdict(version.annotations, local.hash, local.why).state : 'unknown',
      tag: version?.annotations['workers/tag'],
    };
  });
  const { config, deployed } = result.compatibilityDate;
  result.compatibilityDate.matches = config === undefined || deployed === undefined ? undefined : config === deployed;
}

/** What differs, once everything about the client is known (verify included). */
export function settleDrift(result: ClientStatus): void {
  result.drift = result.error
    ? []
    : driftOf({
        exists: result.exists === true,
        code: result.code,
        split: result.traffic.length > 1,
        secretsInSync: result.secrets.inSync,
        compatibilityMatches: result.compatibilityDate.matches,
        authMatches: result.deployedAuth === undefined ? undefined : result.deployedAuth.join(',') === result.auth.join(','),
        varsDiffer: result.varsDiffer,
        verifyOk: result.verify?.ok,
      });
  result.inSync = !result.error && result.drift.length === 0;
}
