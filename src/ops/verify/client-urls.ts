import type { Target } from '../../cloudflare/target.js';
import type { Client } from '../../fleet/fleet.js';
import { describeError, FleetError, isFleetError, usageError } from '../../util/errors.js';
import { didYouMean } from '../../util/suggest.js';

/** Where a client's URL came from, so reports can say why a URL was used. */
export type UrlSource = 'override' | 'route' | 'target';

export interface ClientUrl {
  url: string;
  source: UrlSource;
}

/** Only what URL resolution needs of a Target; lets callers resolve the Target lazily. */
export type WorkerUrlSource = Pick<Target, 'kind' | 'workerUrl'>;

const URL_FLAG_HINT = 'Use --url <client>=<url>, e.g. --url acme=https://mcp.acme.example (repeat the flag for more clients).';

/**
 * Parses repeated `--url <client>=<url>` values. Each must name a client of the fleet, at most
 * once, with an absolute http(s) URL: the worker's base URL (a trailing /mcp is tolerated).
 */
export function parseUrlOverrides(values: readonly string[], knownClients: readonly string[]): Map<string, string> {
  const overrides = new Map<string, string>();
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq < 0) throw usageError(`--url "${value}": expected <client>=<url>`, URL_FLAG_HINT);
    const client = value.slice(0, eq).trim();
    const raw = value.slice(eq + 1).trim();
    if (client === '') throw usageError(`--url "${value}": the client name before "=" is empty`, URL_FLAG_HINT);
    if (raw === '') throw usageError(`--url ${client}=: the URL after "=" is empty`, URL_FLAG_HINT);
    if (!knownClients.includes(client)) {
      throw usageError(
        `--url ${client}=…: unknown client "${client}"`,
        `${didYouMean(client, knownClients)}Clients: ${knownClients.join(', ') || 'none'}`,
      );
    }
    if (overrides.has(client)) throw usageError(`--url is given twice for client "${client}"`, URL_FLAG_HINT);
    overrides.set(client, normalizeBaseUrl(raw, `--url ${client}=${raw}`));
  }
  return overrides;
}

function normalizeBaseUrl(raw: string, where: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`${where}: not an absolute URL`, 'Give the scheme too, e.g. https://mcp.acme.example');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw usageError(`${where}: only http and https URLs can be verified`);
  if (url.username || url.password) {
    // Not echoed: the user part of a URL is a credential.
    throw usageError(
      `${where.replace(/=.*$/, '=…')}: credentials in the URL are not supported`,
      'verify sends the client key from its .secrets file.',
    );
  }
  if (url.search || url.hash) throw usageError(`${where}: give the worker's base URL, without a query or fragment`);
  // The checks append /health, /ready and /mcp themselves.
  const path = url.pathname.replace(/\/+$/, '').replace(/\/mcp$/, '');
  return `${url.origin}${path}`;
}

/**
 * The base URL a route or custom-domain pattern serves, or undefined when the pattern cannot
 * name one host (a wildcard host such as `*.example.com/*`). Routes live on proxied zones,
 * so the URL is https; a trailing `/*` or `*` is the path wildcard and is dropped.
 */
export function routeBaseUrl(pattern: string): string | undefined {
  const withoutScheme = pattern.trim().replace(/^https?:\/\//i, '');
  const slash = withoutScheme.indexOf('/');
  const host = slash < 0 ? withoutScheme : withoutScheme.slice(0, slash);
  let path = slash < 0 ? '' : withoutScheme.slice(slash);
  if (host === '' || host.includes('*')) return undefined;
  path = path.replace(/\*$/, '').replace(/\/+$/, '');
  if (path.includes('*')) return undefined;
  try {
    const url = new URL(`https://${host}${path}`);
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return undefined;
  }
}

/**
 * A client's URL: the `--url` override, else the first usable route or custom domain of its env,
 * else the target's URL for its worker (workers.dev, or the local edge). On the local edge routes
 * are skipped: their domains point at Cloudflare, while the edge serves every worker itself.
 */
export async function clientUrl(client: Client, target: WorkerUrlSource, overrides: ReadonlyMap<string, string>): Promise<ClientUrl> {
  const override = overrides.get(client.name);
  if (override !== undefined) return { url: override, source: 'override' };
  if (target.kind !== 'local') {
    for (const pattern of client.routes) {
      const url = routeBaseUrl(pattern);
      if (url !== undefined) return { url, source: 'route' };
    }
    if (client.routes.length > 0 && client.env.workers_dev === false) {
      throw usageError(
        `client "${client.name}": no URL can be derived from its routes (${client.routes.join(', ')}) and workers.dev is off`,
        `Pass --url ${client.name}=<url>.`,
      );
    }
  }
  try {
    return { url: (await target.workerUrl(client.workerName)).replace(/\/+$/, ''), source: 'target' };
  } catch (error) {
    if (isFleetError(error)) throw error;
    throw new FleetError(`could not find the URL of worker "${client.workerName}": ${describeError(error)}`, {
      hint: `Check the API token and network, or pass --url ${client.name}=<url>.`,
      cause: error,
    });
  }
}

/** URLs of several clients, in order; the target is asked at most once per worker (and caches the subdomain). */
export async function resolveClientUrls(
  clients: readonly Client[],
  target: WorkerUrlSource,
  overrides: ReadonlyMap<string, string>,
): Promise<Map<string, ClientUrl>> {
  const entries = await Promise.all(clients.map(async (client) => [client.name, await clientUrl(client, target, overrides)] as const));
  return new Map(entries);
}
