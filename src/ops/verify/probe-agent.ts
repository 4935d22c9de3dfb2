/**
 * The User-Agent of every request mcp-fleet itself sends a worker (verify's checks, a deploy's wait
 * for the new version, a rotation's proof). The template's worker records it in its data points
 * (blob5 "verify"), so that `metrics` counts a client's callers and not mcp-fleet's checks.
 */
export const PROBE_USER_AGENT = 'mcp-fleet-verify/1';

export const PROBE_HEADERS: Readonly<Record<string, string>> = { 'user-agent': PROBE_USER_AGENT };
