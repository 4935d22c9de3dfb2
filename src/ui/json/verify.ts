import type { CheckResult } from '../../ops/verify/checks.js';
import type { GenerationReport } from '../../ops/verify/mcp-checks.js';
import type { McpServerInfo } from '../../ops/verify/mcp-probe.js';
import type { ClientVerification, FleetVerification } from '../../ops/verify/verification.js';
import { SCHEMA_VERSION, type SchemaVersion } from './common.js';

/** The document of `verify`: every check of every client, with its latency and a secret-free detail. */

export interface CheckJson {
  name: 'health' | 'ready' | 'auth' | 'origin' | 'mcp' | 'identity' | 'isolation' | 'jwt' | 'oauth' | 'sign-in';
  ok: boolean;
  ms: number;
  /** Why it passed or failed, in one secret-free sentence. */
  detail: string;
  /** true when the check was not run (detail says why); with ok it proved nothing. Absent otherwise. */
  skipped: true | undefined;
  /** true when it found a problem this run does not require (it then counts as passed). Absent otherwise. */
  advisory: true | undefined;
}

/** What the MCP session reported (the modern one when it worked). */
export interface McpServerJson {
  name: string;
  version: string;
  protocolVersion: string | undefined;
  tools: string[];
}

/** Per generation: whether the worker serves it and which revisions. */
export interface GenerationJson {
  generation: 'modern' | 'legacy';
  /** Required by this run's --protocol. */
  required: boolean;
  ok: boolean;
  /** true when the worker says it does not speak this generation. Absent otherwise. */
  unsupported: true | undefined;
  revisions: string[];
  /** The revision the session settled on. */
  protocolVersion: string | undefined;
  ms: number;
  /** Why the session failed (secret-free). */
  error: string | undefined;
}

export interface VerifyClientJson {
  client: string;
  url: string;
  ok: boolean;
  ms: number;
  checks: CheckJson[];
  mcp: McpServerJson | undefined;
  protocols: GenerationJson[] | undefined;
  /** Present when the target has no such worker (the checks failed because nothing is deployed): why, and the deploy line. */
  notDeployed: { detail: string; hint: string } | undefined;
}

/** `verify --json`. */
export interface VerifyJson {
  schemaVersion: SchemaVersion;
  ok: boolean;
  ms: number;
  /** The generations every worker had to speak (--protocol). */
  protocol: 'modern' | 'legacy' | 'both' | 'served';
  clients: VerifyClientJson[];
}

function checkJson(check: CheckResult): CheckJson {
  return {
    name: check.name,
    ok: check.ok,
    ms: check.ms,
    detail: check.detail,
    skipped: check.skipped ? true : undefined,
    advisory: check.advisory ? true : undefined,
  };
}

function mcpJson(server: McpServerInfo): McpServerJson {
  return { name: server.name, version: server.version, protocolVersion: server.protocolVersion, tools: [...server.tools] };
}

function generationJson(report: GenerationReport): GenerationJson {
  return {
    generation: report.generation,
    required: report.required,
    ok: report.ok,
    unsupported: report.unsupported ? true : undefined,
    revisions: [...report.revisions],
    protocolVersion: report.protocolVersion,
    ms: report.ms,
    error: report.error,
  };
}

function verifyClientJson(client: ClientVerification): VerifyClientJson {
  return {
    client: client.client,
    url: client.url,
    ok: client.ok,
    ms: client.ms,
    checks: client.checks.map(checkJson),
    mcp: client.mcp ? mcpJson(client.mcp) : undefined,
    protocols: client.protocols?.map(generationJson),
    notDeployed: client.notDeployed === undefined ? undefined : { ...client.notDeployed },
  };
}

export function verifyJson(report: FleetVerification): VerifyJson {
  return {
    schemaVersion: SCHEMA_VERSION,
    ok: report.ok,
    ms: report.ms,
    protocol: report.protocol,
    clients: report.clients.map(verifyClientJson),
  };
}
