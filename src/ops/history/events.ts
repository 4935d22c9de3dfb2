import type { VersionSummary } from '../../cloudflare/version-reads.js';
import type { Deployment } from '../../cloudflare/workers-api.js';
import { isBundleTag } from '../deploy/rollout/bundles.js';
import { bySharesDescending, isSecretChange } from '../status/drift.js';

/**
 * A worker's history from what Cloudflare lists (its deployments and its newest versions), with no
 * I/O: one event per deployment — what went live, at what percentages, and why (a deploy, a
 * rollback, a secrets change, a rotation) — and one per version uploaded but never deployed, newest
 * first. What made a deployment is read from the annotations mcp-fleet writes (see bundles.ts,
 * rollback-client.ts, on-live-code.ts) and Cloudflare's `workers/triggered_by`; a rotation through
 * the secrets API leaves no mark of its own on Cloudflare, so it is told by the project's rotation
 * backups (a secrets change within moments of one).
 */

export type HistoryKind = 'deploy' | 'rollback' | 'secrets-change' | 'rotation' | 'redeploy' | 'upload' | 'other';

export interface HistoryShare {
  versionId: string;
  /** undefined for a version that was never deployed. */
  percentage: number | undefined;
  number: number | undefined;
  /** `bundle-<16 hex>` of the code the version runs (a secret change runs the code of the version before it). */
  bundleTag: string | undefined;
}

export interface HistoryEvent {
  at: string | undefined;
  kind: HistoryKind;
  /** In words, as the table says it. */
  what: string;
  /** The deployment that serves traffic now. */
  live: boolean;
  /** undefined for a version uploaded and never deployed. */
  deploymentId: string | undefined;
  versions: HistoryShare[];
}

export interface HistoryInput {
  /** Newest first, as Cloudflare lists them. */
  deployments: readonly Deployment[];
  versions: readonly VersionSummary[];
  /** When this project started rotations of the client's key (ms since the epoch), from its backups. */
  rotations: readonly number[];
}

/** A rotation's push follows its backup within moments; clocks may differ by a few seconds. */
const ROTATION_WINDOW_MS = { before: 5_000, after: 120_000 };

const ROLLBACK_MESSAGE = /^mcp-fleet rollback to ([0-9a-f-]+)(?::\s*(.*))?$/;
const ON_LIVE_CODE_MESSAGE = /^mcp-fleet secrets (rotate|push|retire)\b.* on ([0-9a-f-]+)$/;
const DEPLOY_MESSAGE = /^mcp-fleet \S+ bundle sha256:[0-9a-f]{64}$/;

export function shortId(id: string): string {
  return id.slice(0, 8);
}

/**
 * The bundle tag of each version's code: its own, or — a version Cloudflare made for a secret
 * change copies the newest version before it — that version's, going back by version number.
 */
export function codeTags(versions: readonly VersionSummary[]): Map<string, string | undefined> {
  const tags = new Map<string, string | undefined>();
  let previous: string | undefined;
  for (const version of [...versions].sort((a, b) => (a.number ?? 0) - (b.number ?? 0))) {
    const own = version.annotations['workers/tag'];
    const tag = own !== undefined && isBundleTag(own) ? own : isSecretChange(version.annotations) ? previous : undefined;
    tags.set(version.id, tag);
    previous = tag;
  }
  return tags;
}

export function historyEvents(input: HistoryInput): HistoryEvent[] {
  const byId = new Map(input.versions.map((version) => [version.id, version]));
  const tags = codeTags(input.versions);
  const share = (versionId: string, percentage: number | undefined): HistoryShare => ({
    versionId,
    percentage,
    number: byId.get(versionId)?.number,
    bundleTag: tags.get(versionId),
  });
  const deployed = new Set<string>();
  const events: HistoryEvent[] = [];
  // Oldest first, so that "first deployed here" is known; listed newest first at the end.
  const deployments = [...input.deployments].reverse();
  for (const [index, deployment] of deployments.entries()) {
    const fresh = deployment.versions.find((entry) => !deployed.has(entry.version_id));
    const kindAndWhat = describeDeployment(
      deployment,
      fresh ? byId.get(fresh.version_id) : undefined,
      fresh !== undefined,
      input.rotations,
    );
    events.push({
      at: deployment.created_on,
      ...kindAndWhat,
      live: index === deployments.length - 1,
      deploymentId: deployment.id,
      versions: bySharesDescending(deployment.versions).map((entry) => share(entry.version_id, entry.percentage)),
    });
    for (const entry of deployment.versions) deployed.add(entry.version_id);
  }
  const oldest = Date.parse(input.deployments.at(-1)?.created_on ?? '');
  for (const version of input.versions) {
    if (deployed.has(version.id)) continue;
    // Versions older than every deployment listed may have been deployed by ones no longer listed.
    if (!Number.isNaN(oldest) && Date.parse(version.createdOn ?? '') < oldest) continue;
    events.push({
      at: version.createdOn,
      kind: 'upload',
      what: 'uploaded, never deployed',
      live: false,
      deploymentId: undefined,
      versions: [share(version.id, undefined)],
    });
  }
  return events.reverse().sort((a, b) => time(b.at) - time(a.at));
}

function time(iso: string | undefined): number {
  const at = Date.parse(iso ?? '');
  return Number.isNaN(at) ? 0 : at;
}

function describeDeployment(
  deployment: Deployment,
  fresh: VersionSummary | undefined,
  hasFresh: boolean,
  rotations: readonly number[],
): { kind: HistoryKind; what: string } {
  const message = deployment.annotations?.['workers/message'] ?? '';
  const majority = bySharesDescending(deployment.versions)[0]?.version_id ?? '';
  const gradual = deployment.versions.length > 1 ? ', gradual' : '';
  const rollback = ROLLBACK_MESSAGE.exec(message);
  if (rollback) {
    const to = rollback[1] as string;
    const reason = rollback[2] && rollback[2] !== 'mcp-fleet rollback' ? ` (${rollback[2]})` : '';
    const again = majority !== to ? ', its code uploaded again with the current secrets' : '';
    return { kind: 'rollback', what: `rollback to ${shortId(to)}${again}${reason}` };
  }
  const secretDeployment = deployment.annotations?.['workers/triggered_by'] === 'secret';
  if (secretDeployment || (hasFresh && fresh && isSecretChange(fresh.annotations))) {
    const at = Date.parse(fresh?.createdOn ?? deployment.created_on);
    const rotated = rotations.some((started) => at >= started - ROTATION_WINDOW_MS.before && at <= started + ROTATION_WINDOW_MS.after);
    return rotated ? { kind: 'rotation', what: 'rotation' } : { kind: 'secrets-change', what: 'secrets change' };
  }
  const onLiveCode = ON_LIVE_CODE_MESSAGE.exec(fresh?.annotations['workers/message'] ?? message);
  if (hasFresh && onLiveCode) {
    const on = `on the code of ${shortId(onLiveCode[2] as string)}, which a rollback had put back`;
    return onLiveCode[1] === 'rotate'
      ? { kind: 'rotation', what: `rotation, ${on}` }
      : { kind: 'secrets-change', what: `secrets ${onLiveCode[1]}, ${on}` };
  }
  if (!hasFresh)
    return { kind: 'redeploy', what: `deployed again: ${deployment.versions.map((entry) => shortId(entry.version_id)).join(', ')}` };
  if (DEPLOY_MESSAGE.test(fresh?.annotations['workers/message'] ?? '')) return { kind: 'deploy', what: `deploy${gradual}` };
  const by = message ? `: ${message}` : '';
  return { kind: 'other', what: `deployment by wrangler or by hand${gradual}${by}` };
}
