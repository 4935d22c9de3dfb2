import { basename } from 'node:path';
import { nodeAt, parseJsonc, positionOf } from '../../config/jsonc-document.js';
import type { Client, Fleet } from '../../fleet/fleet.js';
import { usageError } from '../../util/errors.js';
import { sectionPath } from './modes.js';

/**
 * The identity settings of a client's section that would let the worker run unsafe or not at all,
 * refused before anything is sent (exit 2, naming the file and line): an identity provider the
 * worker would reach over plain http (loopback aside, for tests and local development), and token
 * lifetimes outside what the worker honours.
 */

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Lifetimes in seconds, as OAUTH_ACCESS_TTL and OAUTH_REFRESH_TTL give them. */
const TTL_LIMITS: Readonly<Record<string, { min: number; max: number }>> = {
  OAUTH_ACCESS_TTL: { min: 60, max: 86_400 },
  OAUTH_REFRESH_TTL: { min: 3600, max: 365 * 86_400 },
};

export function issuerProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'is not a URL (text)';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && (LOOPBACK_HOSTS.has(url.hostname) || url.hostname.endsWith('.localhost'))) return undefined;
  return 'is not an https URL: sign-in codes and the client secret would cross the network in the clear (http is accepted on loopback only)';
}

export function ttlProblem(name: string, value: unknown): string | undefined {
  const limits = TTL_LIMITS[name];
  if (!limits) return undefined;
  const seconds = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (Number.isInteger(seconds) && seconds >= limits.min && seconds <= limits.max) return undefined;
  return `should be a whole number of seconds from ${limits.min} to ${limits.max}`;
}

export function assertIdentitySettings(fleet: Fleet, client: Client): void {
  const vars = client.env.vars ?? {};
  const checks: Array<[string, string | undefined]> = [
    ['OIDC_ISSUER', vars.OIDC_ISSUER === undefined ? undefined : issuerProblem(vars.OIDC_ISSUER)],
    ...Object.keys(TTL_LIMITS).map((name): [string, string | undefined] => [
      name,
      vars[name] === undefined ? undefined : ttlProblem(name, vars[name]),
    ]),
  ];
  const found = checks.find(([, problem]) => problem !== undefined);
  if (!found) return;
  const [name, problem] = found;
  const path = [...sectionPath(client), 'vars', name];
  const doc = parseJsonc(fleet.configText, basename(fleet.configPath));
  const where = positionOf(doc, nodeAt(doc, path)?.offset ?? 0);
  throw usageError(`${where}: ${path.join('.')} ${problem}; nothing was sent for ${client.name}`);
}
