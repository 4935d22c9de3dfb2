import { usageError } from '../../util/errors.js';

/**
 * The two generations of MCP a worker can speak: `modern` is 2026-07-28 (stateless,
 * server/discover, a `_meta` envelope on every request), `legacy` the 2025 revisions
 * (initialize handshake). The current template serves both from one /mcp; a worker from the
 * earlier template only `legacy`.
 */
export type Generation = 'modern' | 'legacy';
export const GENERATIONS: readonly Generation[] = ['modern', 'legacy'];

/** What `verify --protocol` requires of every worker. */
export type ProtocolRequirement = Generation | 'both';
export const DEFAULT_PROTOCOL_REQUIREMENT: ProtocolRequirement = 'both';

export const MODERN_REVISION = '2026-07-28';
/** The 2025 revisions verify looks for, newest first; the legacy session itself runs on the first. */
export const LEGACY_REVISIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26'];

export function requiredGenerations(requirement: ProtocolRequirement): Generation[] {
  return requirement === 'both' ? [...GENERATIONS] : [requirement];
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
