import type { TargetChoice } from './target-choice.js';

/**
 * Where a fleet runs: the Cloudflare API (or the local edge, which speaks the same API)
 * plus how a worker's URL is formed. Every operation takes a Target, so the same code runs
 * locally and in production.
 */
export interface Target {
  readonly kind: 'cloudflare' | 'local';
  /** API base, e.g. https://api.cloudflare.com/client/v4 */
  readonly apiBaseUrl: string;
  readonly accountId: string;
  /** The API token. Never printed, never put in argv; only in a child's environment or a request header. */
  readonly token: string;
  /** The URL a worker answers on (workers.dev subdomain, or the local edge). */
  workerUrl(workerName: string): Promise<string>;
  /** Environment variables that point wrangler (a child process) at this target. */
  childEnv(): Record<string, string>;
  /** What picked this target (a flag, MCP_FLEET_TARGET, the project's default); absent where code picks it itself (the demo). */
  readonly choice?: TargetChoice;
}
