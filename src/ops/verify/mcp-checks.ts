import type { CheckResult } from './checks.js';
import type { McpProbeResult, SessionProbe } from './mcp-probe.js';
import { GENERATIONS, type Generation, MODERN_REVISION, type ProtocolRequirement, requiredGenerations } from './protocol.js';

/** What a worker serves in one generation, for the report (`protocols` in --json). */
export interface GenerationReport {
  generation: Generation;
  /** Required by this run's --protocol. */
  required: boolean;
  /** The session in this generation got through tools/list. */
  ok: boolean;
  /** The worker answered in a way that says it does not speak this generation (rather than failing at it). */
  unsupported?: boolean;
  /** The revisions the worker serves in this generation, e.g. ["2026-07-28"] or ["2025-11-25", "2025-06-18", "2025-03-26"]. */
  revisions: string[];
  /** The revision the session settled on. */
  protocolVersion?: string;
  ms: number;
  /** Why the session failed, when it did (secret-free). */
  error?: string;
}

function sessionOf(probe: McpProbeResult, generation: Generation): SessionProbe {
  return generation === 'modern' ? probe.modern : probe.legacy;
}

/** The generations this worker must pass under `requirement` (for `served`, the ones it speaks). */
export function requiredOf(probe: McpProbeResult, requirement: ProtocolRequirement): Generation[] {
  return requiredGenerations(requirement, (generation) => sessionOf(probe, generation).unsupported);
}

function revisionsOf(probe: McpProbeResult, generation: Generation): string[] {
  const session = sessionOf(probe, generation);
  if (session.server === undefined) return [];
  if (generation === 'legacy') return probe.legacyRevisions;
  return session.discovered.length > 0 ? session.discovered : [session.server.protocolVersion ?? MODERN_REVISION];
}

export function generationReports(probe: McpProbeResult, requirement: ProtocolRequirement): GenerationReport[] {
  const required = requiredOf(probe, requirement);
  return GENERATIONS.map((generation) => {
    const session = sessionOf(probe, generation);
    const report: GenerationReport = {
      generation,
      required: required.includes(generation),
      ok: session.server !== undefined,
      revisions: revisionsOf(probe, generation),
      ms: session.ms,
    };
    if (session.server?.protocolVersion !== undefined) report.protocolVersion = session.server.protocolVersion;
    if (session.unsupported) report.unsupported = true;
    if (session.error !== undefined) report.error = session.error;
    return report;
  });
}

/** "modern 2026-07-28; legacy 2025-11-25, 2025-06-18, 2025-03-26", or why one is not served. */
function servedSummary(probe: McpProbeResult): string {
  return GENERATIONS.map((generation) => {
    const revisions = revisionsOf(probe, generation);
    if (revisions.length > 0) return `${generation} ${revisions.join(', ')}`;
    const session = sessionOf(probe, generation);
    if (session.unsupported)
      return `${generation} not served (${generation === 'modern' ? '2025 revisions only' : `${MODERN_REVISION} only`})`;
    return `${generation} failed (${session.failedAt}: ${session.error ?? 'no reason given'})`;
  }).join('; ');
}

/** Why a required generation failed, in the words an operator acts on. */
function generationProblem(probe: McpProbeResult, generation: Generation): string {
  const session = sessionOf(probe, generation);
  const other = sessionOf(probe, generation === 'modern' ? 'legacy' : 'modern');
  if (session.unsupported && other.server !== undefined) {
    return generation === 'modern'
      ? `${MODERN_REVISION} required, but the worker only speaks 2025 revisions (${probe.legacyRevisions.join(', ')}): ` +
          'move its src/ to the current template (mcp-fleet init), or require only what it speaks with --protocol legacy'
      : `2025 revisions required, but the worker only speaks ${revisionsOf(probe, 'modern').join(', ')}: require only what it speaks with --protocol modern`;
  }
  return `MCP ${session.failedAt} with the client's key failed: ${session.error ?? 'no reason given'}`;
}

/**
 * `mcp`: in every generation --protocol requires, a session with the client's own key got through
 * its handshake and tools/list, with at least one tool. The detail names what the worker serves.
 */
export function mcpCheck(probe: McpProbeResult, requirement: ProtocolRequirement): CheckResult {
  const required = requiredOf(probe, requirement);
  const ms = Math.max(...required.map((generation) => sessionOf(probe, generation).ms));
  const failed = required.filter((generation) => sessionOf(probe, generation).server === undefined);
  if (failed.length > 0) {
    const [first, second] = failed.map((generation) => sessionOf(probe, generation));
    // The same refusal in both generations (a wrong key, a hung worker) is said once.
    if (first && second && first.error === second.error && !first.unsupported && !second.unsupported) {
      return {
        name: 'mcp',
        ok: false,
        ms,
        detail: `MCP ${first.failedAt} and ${second.failedAt} with the client's key failed: ${first.error}`,
      };
    }
    return { name: 'mcp', ok: false, ms, detail: failed.map((generation) => generationProblem(probe, generation)).join('; ') };
  }
  const server = (probe.modern.server ?? probe.legacy.server) as NonNullable<SessionProbe['server']>;
  const tools = required
    .map((generation) => sessionOf(probe, generation).server?.tools ?? [])
    .reduce((a, b) => (b.length < a.length ? b : a));
  const summary = `${server.name} ${server.version}: ${servedSummary(probe)}; ${tools.length} tool${tools.length === 1 ? '' : 's'}`;
  if (tools.length === 0) return { name: 'mcp', ok: false, ms, detail: `${summary}: the server lists no tools` };
  return { name: 'mcp', ok: true, ms, detail: `${summary} (${tools.join(', ')})` };
}

/**
 * `identity`: when the server has `whoami`, it names this client in every generation whose session
 * worked, required or not: a generation that fails is the mcp check's finding, not a reason to
 * leave the worker's identity unchecked.
 */
export function identityCheck(probe: McpProbeResult, expectedClient: string): CheckResult {
  if (GENERATIONS.every((generation) => sessionOf(probe, generation).server === undefined)) {
    return { name: 'identity', ok: false, ms: 0, skipped: true, detail: 'not run: the MCP session failed' };
  }
  const asked = GENERATIONS.map((generation) => ({ generation, whoami: sessionOf(probe, generation).whoami })).filter(
    (entry): entry is { generation: Generation; whoami: NonNullable<SessionProbe['whoami']> } => entry.whoami !== undefined,
  );
  if (asked.length === 0) return { name: 'identity', ok: true, ms: 0, skipped: true, detail: 'skipped: the server has no whoami tool' };
  const ms = Math.max(...asked.map((entry) => entry.whoami.ms));
  const label = (generation: Generation): string => (asked.length > 1 ? ` (${generation})` : '');
  const problems: string[] = [];
  for (const { generation, whoami } of asked) {
    if (whoami.client === undefined) problems.push(`${whoami.error ?? 'whoami named no client'}${label(generation)}`);
    else if (whoami.client !== expectedClient)
      problems.push(
        `whoami names "${whoami.client}"${label(generation)}, expected "${expectedClient}": this worker runs another client's code or configuration`,
      );
  }
  if (problems.length > 0) return { name: 'identity', ok: false, ms, detail: problems.join('; ') };
  return {
    name: 'identity',
    ok: true,
    ms,
    detail: `whoami names "${expectedClient}" (${asked.map((entry) => entry.generation).join(' and ')})`,
  };
}
