import { mcpEndpoint } from './auth-probe.js';
import { probeSession, type SessionProbe } from './mcp-session.js';
import { probeHeaders } from './probe-agent.js';
import { LEGACY_REVISIONS } from './protocol.js';

export type { McpServerInfo, SessionProbe, WhoamiResult } from './mcp-session.js';

export interface McpProbeResult {
  /** A 2026-07-28 session: server/discover, tools/list, whoami. */
  modern: SessionProbe;
  /** A 2025 session: initialize on 2025-11-25, tools/list, whoami. */
  legacy: SessionProbe;
  /** The 2025 revisions the worker serves (its initialize answered each with that same revision), newest first. */
  legacyRevisions: string[];
}

export interface McpProbeOptions {
  timeoutMs: number;
  /** Name of the tool that names the client a worker serves. */
  whoamiTool?: string;
  /** Blanks the run's secrets out of what the worker sent, before anything is cut to length. */
  redact?: (text: string) => string;
}

/**
 * Both generations side by side, each a real session with the client's own key, plus a bare
 * initialize for each older 2025 revision so the report can say which ones the worker serves.
 * Everything runs at once, so a hung worker costs one timeout.
 */
export async function probeMcp(url: string, key: string, options: McpProbeOptions): Promise<McpProbeResult> {
  const session = {
    timeoutMs: options.timeoutMs,
    whoamiTool: options.whoamiTool ?? 'whoami',
    ...(options.redact ? { redact: options.redact } : {}),
  };
  const [modern, legacy, older] = await Promise.all([
    probeSession(url, key, 'modern', session),
    probeSession(url, key, 'legacy', session),
    Promise.all(
      LEGACY_REVISIONS.slice(1).map(async (revision) => ((await initializeServes(url, key, revision, options.timeoutMs)) ? revision : '')),
    ),
  ]);
  const served = new Set(older.filter(Boolean));
  const negotiated = legacy.server?.protocolVersion;
  if (negotiated !== undefined) served.add(negotiated);
  const known = LEGACY_REVISIONS.filter((revision) => served.has(revision));
  const others = [...served]
    .filter((revision) => !LEGACY_REVISIONS.includes(revision))
    .sort()
    .reverse();
  return { modern, legacy, legacyRevisions: [...known, ...others] };
}

/**
 * Does the worker answer a 2025 initialize for `revision` with that same revision? A server
 * that does not speak it answers with another one (its latest), which is not counted.
 */
async function initializeServes(url: string, key: string, revision: string, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(mcpEndpoint(url), {
      method: 'POST',
      headers: {
        ...probeHeaders(),
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${key}`,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: revision, capabilities: {}, clientInfo: { name: 'mcp-fleet-verify', version: '2' } },
      }),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      return false;
    }
    const text = await response.text();
    const json = response.headers.get('content-type')?.includes('text/event-stream') ? firstSseData(text) : text;
    return protocolVersionOf(json) === revision;
  } catch {
    return false;
  }
}

function firstSseData(text: string): string {
  const line = text.split(/\r?\n/).find((entry) => entry.startsWith('data:') && entry.slice(5).trim() !== '');
  return line === undefined ? '' : line.slice(5).trim();
}

function protocolVersionOf(json: string): string | undefined {
  try {
    const message: unknown = JSON.parse(json);
    if (typeof message !== 'object' || message === null || !('result' in message)) return undefined;
    const result = message.result;
    if (typeof result !== 'object' || result === null || !('protocolVersion' in result)) return undefined;
    return typeof result.protocolVersion === 'string' ? result.protocolVersion : undefined;
  } catch {
    return undefined;
  }
}
