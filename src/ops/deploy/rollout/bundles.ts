import { type CachedBuildResult, cachedBuild } from '../../../cloudflare/build-cache.js';
import type { BuiltBundle } from '../../../cloudflare/wrangler-build.js';
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
    'workers/tag': `bundle-${bundle.hash.slice(0, 16)}`,
  };
}
