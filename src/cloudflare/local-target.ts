import { edgeFilePath, edgeUrls, readEdgeInfo, workerUrlFromTemplate } from '../local/lifecycle/edge-file.js';
import { edgeProblemError, verifyEdge } from '../local/lifecycle/edge-identity.js';
import { installLocalhostResolver } from '../util/localhost-resolver.js';
import type { Target } from './target.js';

/**
 * The local edge recorded in `.mcp-fleet/local/edge.json` (started by `mcp-fleet local start`).
 * Workers answer on `http://<name>.localhost:<port>`; this process gets a resolver for `*.localhost`.
 *
 * The record is trusted only once the edge behind it proves itself (edge-identity.ts): a stale
 * edge.json whose port something else has taken since must not receive the token or any secret,
 * and a dead edge is reported once, here, not as a connection error per client. Exit 2 either way.
 */
export async function localTarget(projectDir: string): Promise<Target> {
  const info = await readEdgeInfo(projectDir);
  const problem = await verifyEdge(info);
  if (problem) throw edgeProblemError(problem, edgeFilePath(projectDir));
  installLocalhostResolver();
  // From the port the edge proved, not from the file: every URL a key is sent to is the edge's own.
  const urls = edgeUrls(info.port);
  return {
    kind: 'local',
    apiBaseUrl: urls.apiBaseUrl,
    accountId: info.accountId,
    token: info.token,
    workerUrl: (workerName) => workerOrigin(urls, info.token, workerName),
    childEnv: () => localChildEnv({ ...info, ...urls }),
  };
}

/**
 * Where the edge says a worker answers: `<name>.localhost`, or its own loopback port while it is
 * an OAuth server (OAuth takes plain http on loopback addresses only). Only a loopback http URL
 * is taken from the answer; without one, the template's URL.
 */
async function workerOrigin(urls: ReturnType<typeof edgeUrls>, token: string, workerName: string): Promise<string> {
  const fallback = workerUrlFromTemplate(urls.workerUrlTemplate, workerName);
  try {
    const response = await fetch(`${urls.adminUrl}/workers/${encodeURIComponent(workerName)}/origin`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5_000),
    });
    const url = ((await response.json()) as { result?: { url?: unknown } }).result?.url;
    return typeof url === 'string' && /^http:\/\/(?:127\.0\.0\.1|[a-z0-9-]+\.localhost):\d{1,5}$/.test(url) ? url : fallback;
  } catch {
    return fallback;
  }
}

/** What points wrangler (or any Cloudflare client) at the edge, and keeps it from phoning home. */
export function localChildEnv(info: { apiBaseUrl: string; token: string; accountId: string }): Record<string, string> {
  return {
    CLOUDFLARE_API_BASE_URL: info.apiBaseUrl,
    CLOUDFLARE_BASE_URL: info.apiBaseUrl,
    CLOUDFLARE_API_TOKEN: info.token,
    CLOUDFLARE_ACCOUNT_ID: info.accountId,
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_SEND_ERROR_REPORTS: 'false',
    WRANGLER_HIDE_BANNER: 'true',
  };
}
