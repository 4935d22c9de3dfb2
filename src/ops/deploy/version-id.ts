import { MAX_LISTED_VERSIONS, type VersionReads } from '../../cloudflare/version-reads.js';
import { usageError } from '../../util/errors.js';
import { commandLine } from '../../util/next-step.js';

/**
 * `rollback --to` takes a version as every table prints it — its first 8 characters — or any
 * unique prefix, or the whole id. A whole id is used as given; a prefix is looked up among the
 * worker's newest versions (one call), and must name exactly one of them.
 */

const WHOLE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The one id that starts with `prefix`; no match or several are bad input (exit 2), naming what there is. */
export function matchVersionPrefix(client: string, worker: string, prefix: string, ids: readonly string[]): string {
  const wanted = prefix.toLowerCase();
  const matches = [...new Set(ids)].filter((id) => id.toLowerCase().startsWith(wanted));
  const listed = `see the versions with: ${commandLine('history', client)}`;
  if (matches.length === 1) return matches[0] as string;
  if (matches.length === 0) {
    throw usageError(
      `--to ${prefix}: no version of worker ${worker} starts with it (of its ${ids.length} newest version${ids.length === 1 ? '' : 's'})`,
      `The id is in the tables deploy, status and history print; ${listed}`,
    );
  }
  throw usageError(
    `--to ${prefix} names ${matches.length} versions of worker ${worker}: ${matches.join(', ')}`,
    `Give more of the id; ${listed}`,
  );
}

export async function resolveVersionId(
  reads: Pick<VersionReads, 'listVersions'>,
  client: string,
  worker: string,
  given: string,
): Promise<string> {
  if (WHOLE_ID.test(given)) return given;
  const versions = await reads.listVersions(worker);
  return matchVersionPrefix(
    client,
    worker,
    given,
    versions.slice(0, MAX_LISTED_VERSIONS).map((version) => version.id),
  );
}
