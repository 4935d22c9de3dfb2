import { usageError } from '../../util/errors.js';

/**
 * The two generations of MCP a worker can speak: `modern` is 2026-07-28 (stateless,
 * server/discover, a `_meta` envelope on every request), `legacy` the 2025 revisions
 * (initialize handshake). The current template serves both from one /mcp; a worker from the
 * earlier template only `legacy`.
 */
export type Generation = 'modern' | 'legacy';
export const GENERATIONS: readonly Generation[] = ['modern', 'legacy'];

/**
 * What a verify run requires of every worker: `modern`, `legacy` or `both` (the choices of
 * `verify --protocol`, default both), or `served`: every generation the worker speaks must work,
 * and it must speak one. `served` is what a check right after a deploy asks, so a fleet still on
 * the 2025 template deploys as it always did; `verify` is where it learns it is behind.
 */
export type ProtocolRequirement = Generation | 'both' | 'served';
export const DEFAULT_PROTOCOL_REQUIREMENT: ProtocolRequirement = 'both';

export const MODERN_REVISION = '2026-07-28';
/** The 2025 revisions verify looks for, newest first; the legacy session itself runs on the first. */
export const LEGACY_REVISIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26'];

/** The generations a worker must pass, given which ones it said it does not speak at all. */
export function requiredGenerations(requirement: ProtocolRequirement, unsupported: (generation: Generation) => boolean): Generation[] {
  if (requirement === 'both') return [...GENERATIONS];
  if (requirement !== 'served') return [requirement];
  const spoken = GENERATIONS.filter((generation) => !unsupported(generation));
  return spoken.length > 0 ? spoken : [...GENERATIONS];
}

/** `--protocol modern|legacy|both`; absent means both. */
export function parseProtocolRequirement(value: string | undefined): ProtocolRequirement {
  if (value === undefined) return DEFAULT_PROTOCOL_REQUIREMENT;
  const normalized = value.trim().toLowerCase();
  if (normalized === 'modern' || normalized === 'legacy' || normalized === 'both') return normalized;
  throw usageError(
    `--protocol ${value}: expected modern, legacy or both`,
    `modern is MCP ${MODERN_REVISION}, legacy the 2025 revisions (${LEGACY_REVISIONS.join(', ')}); both (the default) requires each`,
  );
}
