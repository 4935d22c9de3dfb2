import type { HistoryEvent, HistoryKind, HistoryShare } from '../../ops/history/events.js';
import type { HistoryResult, HistoryVersion } from '../../ops/history/history.js';
import { type ClientFailureJson, clientFailureJson, type FleetJson, fleetJson } from './common.js';

/** The document of `history`: per client, its events newest first and the versions Cloudflare lists. What is not known is null. */

export interface HistoryShareJson {
  versionId: string;
  /** The 8 characters tables print; `rollback --to` takes them. */
  shortId: string;
  /** null for a version never deployed. */
  percentage: number | null;
  number: number | null;
  bundleTag: string | null;
}

export interface HistoryEventJson {
  at: string | null;
  kind: HistoryKind;
  what: string;
  live: boolean;
  /** null for a version uploaded and never deployed. */
  deploymentId: string | null;
  versions: HistoryShareJson[];
}

export interface HistoryVersionJson {
  versionId: string;
  shortId: string;
  number: number | null;
  createdAt: string | null;
  triggeredBy: string | null;
  message: string | null;
  bundleTag: string | null;
}

export interface HistoryClientJson {
  client: string;
  worker: string;
  /** false: no such worker; null when it could not be read. */
  exists: boolean | null;
  events: HistoryEventJson[];
  versions: HistoryVersionJson[];
  error: ClientFailureJson | undefined;
}

export type HistoryJson = FleetJson<HistoryClientJson>;

function shareJson(share: HistoryShare): HistoryShareJson {
  return {
    versionId: share.versionId,
    shortId: share.versionId.slice(0, 8),
    percentage: share.percentage ?? null,
    number: share.number ?? null,
    bundleTag: share.bundleTag ?? null,
  };
}

function eventJson(event: HistoryEvent): HistoryEventJson {
  return {
    at: event.at ?? null,
    kind: event.kind,
    what: event.what,
    live: event.live,
    deploymentId: event.deploymentId ?? null,
    versions: event.versions.map(shareJson),
  };
}

function versionJson(version: HistoryVersion): HistoryVersionJson {
  return {
    versionId: version.id,
    shortId: version.id.slice(0, 8),
    number: version.number ?? null,
    createdAt: version.createdOn ?? null,
    triggeredBy: version.triggeredBy ?? null,
    message: version.message ?? null,
    bundleTag: version.bundleTag ?? null,
  };
}

export function historyJson(results: readonly HistoryResult[], ok: boolean): HistoryJson {
  return fleetJson(results, ok, (result) => ({
    client: result.client,
    worker: result.worker,
    exists: result.exists ?? null,
    events: result.events.map(eventJson),
    versions: result.versions.map(versionJson),
    error: clientFailureJson(result.error),
  }));
}
