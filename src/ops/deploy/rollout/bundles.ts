import { type CachedBuildResult, cachedBuild } from '../../../cloudflare/build-cache.js';
import type { VersionWithCode } from '../../../cloudflare/workers-api.js';
import { type BuiltBundle, bundleHash } from '../../../cloudflare/wrangler-build.js';
import type { Fleet } from '../../../fleet/fleet.js';
import { mapWithConcurrency } from '../../../util/concurrency.js';
import type { ClientSettings } from './client-settings.js';

/**
 * Build once: clients whose build-relevant settings are equal share one bundle, so a fleet of one
 * codebase is bundled once however many clients it has. Each group is built with wrangler, using
 * the settings of its first client (the others' differ only in name, vars, bindings and secrets).
 */

export interface BuildGroup {
  /** 1-based, in the order the groups' first clients appear. */
  index: number;
  key: string;
  clients: ClientSettings[];
  sourceMaps: boolean;
}

export type GroupBuild = CachedBuildResult & { group: BuildGroup };

/** Groups the clients the direct upload ships, by build key. */
export function buildGroups(settings: readonly ClientSettings[]): BuildGroup[] {
  const groups = new Map<string, BuildGroup>();
  for (const client of settings) {
    if (client.wranglerOnly) continue;
    const key = `${client.buildKey}|${client.sourceMaps}`;
    let group = groups.get(key);
    if (!group) {
      group = { index: groups.size + 1, key, clients: [], sourceMaps: client.sourceMaps };
      groups.set(key, group);
    }
    group.clients.push(client);
  }
  return [...groups.values()];
}

/** Builds every group, or reuses its last bundle when nothing it was built from changed (two at a time: each build is a wrangler process busy on one core). */
export async function buildBundles(
  fleet: Fleet,
  groups: readonly BuildGroup[],
  onBuilt?: (build: GroupBuild) => void,
): Promise<GroupBuild[]> {
  const settled = await mapWithConcurrency(groups, 2, async (group) => {
    const first = group.clients[0] as ClientSettings;
    const result = await cachedBuild({
      settingsKey: group.key,
      projectDir: fleet.dir,
      env: first.client.envName,
      sourceMaps: group.sourceMaps,
      label: groups.length === 1 ? 'fleet' : `group${group.index}`,
    });
    const build: GroupBuild = { ...result, group };
    onBuilt?.(build);
    return build;
  });
  return settled.map((entry, index) =>
    entry.ok
      ? entry.value
      : {
          ok: false as const,
          cached: false,
          failure: entry.error instanceof Error ? entry.error.message : String(entry.error),
          tail: [],
          logPath: '',
          durationMs: 0,
          group: groups[index] as BuildGroup,
        },
  );
}

/** The annotations a version built from this bundle carries: which code, built by which mcp-fleet. */
export function bundleAnnotations(bundle: BuiltBundle, fleetVersion: string): Record<string, string> {
  return {
    'workers/message': `mcp-fleet ${fleetVersion} bundle sha256:${bundle.hash}`,
    'workers/tag': bundleTag(bundle.hash),
  };
}

/** `bundle-<16 hex>`: the tag that names a bundle's code (status compares it with the local build's). */
export function bundleTag(hash: string): string {
  return `bundle-${hash.slice(0, 16)}`;
}

const BUNDLE_TAG = /^bundle-[0-9a-f]{16}$/;

export function isBundleTag(tag: string): boolean {
  return BUNDLE_TAG.test(tag);
}

/**
 * The bundle tag of the code a version runs, for a version mcp-fleet uploads again (a rollback's
 * re-upload, secrets on rolled-back code): the version's own tag, or else the hash of its modules,
 * computed as a deploy computes it — a version Cloudflare made for a secret change carries no tag
 * but runs the very bytes of the one before it, so its re-upload is still known to `status`.
 */
export function codeTagOf(version: Pick<VersionWithCode, 'annotations' | 'modules'>): string {
  const own = version.annotations['workers/tag'];
  if (own !== undefined && isBundleTag(own)) return own;
  return bundleTag(
    bundleHash(
      version.modules.map((module) => ({
        name: module.name,
        contentType: module.content_type,
        contents: Buffer.from(module.content_base64, 'base64'),
      })),
    ),
  );
}
