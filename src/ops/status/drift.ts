import type { BuiltBundle } from '../../cloudflare/wrangler-build.js';
import { bundleAnnotations } from '../deploy/rollout/bundles.js';

// `status` decides its exit code by the policy every read-only comparison shares (the CLI reads it here).

/**
 * What `status` concludes from what it read, with no I/O: which deployment's versions hold the code
 * that runs, whether that code is the current local build, and how the fleet uses its account.
 */

export type CodeState = 'current' | 'behind' | 'unknown';

/** The tag a deploy gives a version built from `bundle` (bundles.ts writes it; the fleet version does not enter it). */
export function expectedTag(bundle: Pick<BuiltBundle, 'hash'>): string {
  return bundleAnnotations(bundle as BuiltBundle, '')['workers/tag'] as string;
}

const BUNDLE_TAG = /^bundle-[0-9a-f]{16}$/;
const BUNDLE_MESSAGE = /\bbundle sha256:([0-9a-f]{64})\b/;

/**
 * A secret change makes a new version of the live one (Cloudflare allows it only while the newest
 * version runs at 100%) and deploys it at once, annotated `workers/triggered_by: secret`: it runs its
 * predecessor's code but carries none of its annotations. So the code that runs is found by going
 * back past such deployments (the local edge and, where it says so, Cloudflare annotate the
 * deployment too) or such versions (when only the version says so) to the one that shipped it.
 */
export function isSecretChange(annotations: Readonly<Record<string, string>> | undefined): boolean {
  return annotations?.['workers/triggered_by'] === 'secret' && annotations['workers/tag'] === undefined;
}

export interface CodeVerdict {
  state: CodeState;
  /** Why, when the state is not `current`. */
  why?: string;
}

/** Compares a version's annotations with the local bundle's hash (undefined when there is none to compare with). */
export function codeVerdict(annotations: Readonly<Record<string, string>>, localHash: string | undefined, noLocal?: string): CodeVerdict {
  const tag = annotations['workers/tag'];
  const fullHash = BUNDLE_MESSAGE.exec(annotations['workers/message'] ?? '')?.[1];
  if (tag === undefined || !BUNDLE_TAG.test(tag)) {
    return { state: 'unknown', why: 'the deployed version carries no mcp-fleet bundle tag (deployed by wrangler or by hand)' };
  }
  if (localHash === undefined) return { state: 'unknown', why: noLocal ?? 'no local build to compare with' };
  const matches = fullHash !== undefined ? fullHash === localHash : tag === expectedTag({ hash: localHash });
  return matches ? { state: 'current' } : { state: 'behind', why: `runs ${tag}; the local build is ${expectedTag({ hash: localHash })}` };
}

/** The version with the biggest share first. */
export function bySharesDescending<T extends { percentage: number }>(versions: readonly T[]): T[] {
  return [...versions].sort((a, b) => b.percentage - a.percentage);
}

export interface Capacity {
  /** Workers in the account (every worker, not only the fleet's). */
  workers: number;
  limit: number;
  /** workers / limit, 0 to 1 (above 1 when the limit given is below what the account holds). */
  share: number;
  warning: boolean;
}

export function capacityOf(workers: number, limit: number, warnShare: number): Capacity {
  const share = limit > 0 ? workers / limit : 1;
  return { workers, limit, share, warning: share >= warnShare };
}

/** The parts of a client's status that can drift; each says what it found. */
export interface DriftInput {
  exists: boolean;
  code: CodeState | undefined;
  split: boolean;
  secretsInSync: boolean;
  compatibilityMatches: boolean | undefined;
  /** The running version's auth modes are the section's (after `auth`, before the deploy that ships it: false). */
  authMatches?: boolean | undefined;
  /** Text vars the running version has otherwise than the section (a changed rate limit, say). */
  varsDiffer?: readonly string[];
  verifyOk: boolean | undefined;
}

/**
 * What differs from the project, in words (empty when everything matches). A code state that cannot
 * be told counts: status promises that what runs is what the project says, and "unknown" is not that.
 */
export function driftOf(input: DriftInput): string[] {
  if (!input.exists) return ['no worker'];
  const drift: string[] = [];
  if (input.code === 'behind') drift.push('code behind');
  if (input.code === 'unknown') drift.push('code unknown');
  if (input.split) drift.push('traffic split');
  if (!input.secretsInSync) drift.push('secrets differ');
  if (input.compatibilityMatches === false) drift.push('compatibility date');
  if (input.authMatches === false) drift.push('auth modes');
  if (input.varsDiffer && input.varsDiffer.length > 0) drift.push(`vars ${input.varsDiffer.join(', ')}`);
  if (input.verifyOk === false) drift.push('verify failed');
  return drift;
}
