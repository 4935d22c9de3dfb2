import { type CreateApiOptions, createSdk, toFleetError } from './api.js';
import type { Target } from './target.js';

/**
 * One version of a worker as `GET …/workers/scripts/<worker>/versions/<id>` describes it, without
 * its code or binding values: what `status` needs to tell which code and runtime a deployment runs.
 */
export interface VersionSummary {
  id: string;
  number: number | undefined;
  createdOn: string | undefined;
  /** `workers/message`, `workers/tag`, `workers/triggered_by`. */
  annotations: Record<string, string>;
  compatibilityDate: string | undefined;
  compatibilityFlags: string[];
  /** Its plain-text vars (`plain_text` bindings), e.g. AUTH_MODES: what the project's section said when it was made. */
  vars?: Record<string, string>;
}

/** Cloudflare keeps a worker's newest 100 versions deployable: a read of more would find nothing to go back to. */
export const MAX_LISTED_VERSIONS = 100;

export interface VersionReads {
  /** One call, through the shared pacer. */
  getVersion(script: string, versionId: string): Promise<VersionSummary>;
  /** The newest versions, newest first: one call, at most MAX_LISTED_VERSIONS. */
  listVersions(script: string): Promise<VersionSummary[]>;
}

export function createVersionReads(target: Target, options: CreateApiOptions = {}): VersionReads {
  const sdk = createSdk(target, options);
  const base = `/accounts/${target.accountId}/workers/scripts`;
  return {
    async getVersion(script, versionId) {
      try {
        const body = (await sdk.get(`${base}/${encodeURIComponent(script)}/versions/${encodeURIComponent(versionId)}`)) as {
          result?: RawVersion | null;
        };
        return summaryOf(body.result ?? {}, versionId);
      } catch (error) {
        throw toFleetError(error, `reading version ${versionId} of worker ${script}`, target);
      }
    },
    async listVersions(script) {
      try {
        const body = (await sdk.get(`${base}/${encodeURIComponent(script)}/versions`, {
          query: { page: 1, per_page: MAX_LISTED_VERSIONS },
        })) as { result?: { items?: RawVersion[] | null } | null };
        const items = body.result?.items ?? [];
        return items
          .filter((raw) => typeof raw.id === 'string')
          .map((raw) => summaryOf(raw, raw.id as string))
          .sort((a, b) => (b.number ?? 0) - (a.number ?? 0));
      } catch (error) {
        throw toFleetError(error, `listing the versions of worker ${script}`, target);
      }
    },
  };
}

interface RawVersion {
  id?: string;
  number?: number;
  metadata?: { created_on?: string } | null;
  annotations?: Record<string, unknown> | null;
  resources?: {
    script_runtime?: { compatibility_date?: string; compatibility_flags?: string[] } | null;
    bindings?: Array<{ type?: unknown; name?: unknown; text?: unknown }> | null;
  } | null;
}

/** Reads the answer defensively: a field Cloudflare leaves out reads as unknown, never as a crash. */
export function summaryOf(raw: RawVersion, versionId: string): VersionSummary {
  const runtime = raw.resources?.script_runtime ?? {};
  const annotations: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw.annotations ?? {})) if (typeof value === 'string') annotations[key] = value;
  // Without a bindings list the vars are unknown (undefined), not none.
  const listed = raw.resources?.bindings;
  const vars: Record<string, string> | undefined = Array.isArray(listed) ? {} : undefined;
  for (const binding of listed ?? [])
    if (vars && binding.type === 'plain_text' && typeof binding.name === 'string' && typeof binding.text === 'string')
      vars[binding.name] = binding.text;
  return {
    id: typeof raw.id === 'string' ? raw.id : versionId,
    number: typeof raw.number === 'number' ? raw.number : undefined,
    createdOn: typeof raw.metadata?.created_on === 'string' ? raw.metadata.created_on : undefined,
    annotations,
    compatibilityDate: typeof runtime.compatibility_date === 'string' ? runtime.compatibility_date : undefined,
    compatibilityFlags: Array.isArray(runtime.compatibility_flags)
      ? runtime.compatibility_flags.filter((flag): flag is string => typeof flag === 'string')
      : [],
    vars,
  };
}
