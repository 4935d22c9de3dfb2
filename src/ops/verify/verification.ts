import type { CheckResult } from './checks.js';
import type { GenerationReport } from './mcp-checks.js';
import type { McpServerInfo } from './mcp-probe.js';
import type { ProtocolRequirement } from './protocol.js';

/** What verify reports: per client, its checks and what its MCP server said; for the fleet, the sum. */

export interface ClientVerification {
  client: string;
  url: string;
  ok: boolean;
  /** Wall time of all of this client's checks. */
  ms: number;
  checks: CheckResult[];
  /** What the MCP session reported (the modern one when it worked), when one got that far. */
  mcp?: McpServerInfo;
  /** Per generation (modern, legacy): whether the worker serves it and which revisions. */
  protocols?: GenerationReport[];
  /** Set when the target has no such worker: the checks failed because nothing is deployed. */
  notDeployed?: { detail: string; hint: string };
}

export interface FleetVerification {
  ok: boolean;
  ms: number;
  /** The MCP generations every worker had to speak (--protocol). */
  protocol: ProtocolRequirement;
  clients: ClientVerification[];
}
