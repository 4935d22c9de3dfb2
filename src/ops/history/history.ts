import { readdir } from 'node:fs/promises';
import { isCloudflareApiError } from '../../cloudflare/api.js';
import type { VersionReads, VersionSummary } from '../../cloudflare/version-reads.js';
import type { WorkersApi } from '../../cloudflare/workers-api.js';
import type { Client, Fleet } from '../../fleet/fleet.js';
import { statePaths } from '../../util/state-dir.js';
import type { ClientFailure } from '../fleet/client-failure.js';
import { DEFAULT_CONCURRENCY } from '../fleet/defaults.js';
import type { ProgressListener } from '../fleet/progress.js';
import { forEachClient } from '../fleet/runner.js';
import { codeTags, type HistoryEvent, historyEvents } from './events.js';

/**
 * `mcp-fleet history`: per client, what its worker ran and why, from two reads side by side — the
 * worker's deployments and its newest versions (2 API calls per client, whatever its history).
 */

export interface HistoryReads {
  workers: Pick<WorkersApi, 'listDeployments'>;
  versions: Pick<VersionReads, 'listVersions'>;
}

export interface HistoryVersion {
  id: string;
  number: number | undefined;
  createdOn: string | undefined;
  /** `workers/triggered_by`: upload, secret, … */
  triggeredBy: string | undefined;
  message: string | undefined;
  bundleTag: string | undefined;
}

export interface HistoryResult {
  client: string;
  worker: string;
  ok: boolean;
  /** false: no such worker (never deployed, or deleted); undefined when it could not be read. */
  exists: boolean | undefined;
  /** Newest first. */
  events: HistoryEvent[];
  /** The newest versions Cloudflare lists, newest first. */
  versions: HistoryVersion[];
  error?: ClientFailure;
}

/** Cloudflare's codes for "no such worker". */
const NOT_FOUND = new Set([10007, 10090]);

export interface HistoryOptions {
  fleet: Fleet;
  clients: readonly Client[];
  reads: HistoryReads;
  concurrency?: number;
  onProgress?: ProgressListener | undefined;
}

export function fleetHistory(options: HistoryOptions): Promise<HistoryResult[]> {
  return forEachClient<HistoryResult>({
    clients: options.clients,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY.api,
    onProgress: options.onProgress,
    start: (client) => ({ client: client.name, worker: client.workerName, ok: false, exists: undefined, events: [], versions: [] }),
    async work(client, result, progress) {
      progress('working', 'reading');
      const [deployments, versions, rotations] = await Promise.all([
        absentIfMissing(options.reads.workers.listDeployments(client.workerName)),
        absentIfMissing(options.reads.versions.listVersions(client.workerName)),
        rotationStarts(options.fleet.dir, client.name),
      ]);
      result.exists = deployments !== 'absent';
      if (deployments !== 'absent') {
        const listed = versions === 'absent' ? [] : versions;
        result.events = historyEvents({ deployments, versions: listed, rotations });
        result.versions = historyVersions(listed);
      }
      result.ok = true;
      progress('done', result.exists ? `${result.events.length} events` : 'no worker');
    },
  });
}

async function absentIfMissing<T>(read: Promise<T>): Promise<T | 'absent'> {
  try {
    return await read;
  } catch (error) {
    if (isCloudflareApiError(error) && error.codes.some((code) => NOT_FOUND.has(code))) return 'absent';
    throw error;
  }
}

function historyVersions(versions: readonly VersionSummary[]): HistoryVersion[] {
  const tags = codeTags(versions);
  return versions.map((version) => ({
    id: version.id,
    number: version.number,
    createdOn: version.createdOn,
    triggeredBy: version.annotations['workers/triggered_by'],
    message: version.annotations['workers/message'],
    bundleTag: tags.get(version.id),
  }));
}

const ROTATION_BACKUP = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z\.rotate\.secrets$/;

/** When this project started rotating the client's keys: the stamps of its rotation backups (none on another machine). */
async function rotationStarts(projectDir: string, client: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(statePaths.backups(projectDir, client));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const match = ROTATION_BACKUP.exec(name);
    return match ? [Date.parse(`${match[1]}T${match[2]}:${match[3]}:${match[4]}.${match[5]}Z`)] : [];
  });
}
