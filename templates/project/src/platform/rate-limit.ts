import type { McpServer } from '@modelcontextprotocol/server';
import { registerTools } from '../tools';
import type { Env } from './env';
import { json } from './http';
import type { Identity } from './identity';

/**
 * Per-client rate limits on /mcp, enforced by the Workers Rate Limiting binding (`ratelimits` in the
 * client's section). The binding only says yes or no, so the limit and period the answer reports
 * come from `vars.RATE_LIMIT` ("<limit>/<period>"), which mcp-fleet writes beside the binding.
 * A worker without the binding has no limit: sections from before rate limits keep working.
 */

export interface RateLimitSetting {
  limit: number;
  /** Seconds: Cloudflare counts over 10 or 60. */
  period: number;
}

/** The period when RATE_LIMIT is missing or unreadable: the longer of Cloudflare's two, so Retry-After never undersells the wait. */
const FALLBACK_PERIOD = 60;

export function rateLimitSetting(env: Env): RateLimitSetting | undefined {
  const match = env.RATE_LIMIT?.trim().match(/^(\d+)\s*\/\s*(\d+)$/);
  if (!match) return undefined;
  return { limit: Number(match[1]), period: Number(match[2]) };
}

/**
 * One counter per client and caller, and per tool when the host names it (`Mcp-Name`): one
 * person's runaway agent, or one hot tool, spends its own budget, not everyone else's. Only a
 * tool this worker serves counts apart: the header is the caller's to write, and a fresh made-up
 * name on every call would otherwise be a fresh budget.
 */
export function rateLimitKey(env: Env, caller: Identity, request: Request): string {
  const tool = request.headers.get('mcp-name')?.trim();
  const parts = [env.CLIENT_ID ?? '', caller.subject];
  if (tool && toolNames(env, caller).has(tool)) parts.push(tool);
  return parts.map((part) => encodeURIComponent(part)).join(':');
}

/** The tools registerTools gives this caller, read by letting it register them on a stand-in that only takes names. */
function toolNames(env: Env, caller: Identity): ReadonlySet<string> {
  const names = new Set<string>();
  const recorder = new Proxy(
    {},
    { get: (_, method) => (method === 'registerTool' ? (name: string) => names.add(name) : () => undefined) },
  ) as McpServer;
  registerTools(recorder, env, caller);
  return names;
}

/** The 429 to send when this caller is over its limit, or undefined when the call may go on. */
export async function rateLimited(request: Request, env: Env, caller: Identity): Promise<Response | undefined> {
  const limiter = env.RATE_LIMITER;
  if (!limiter) return undefined;
  const { success } = await limiter.limit({ key: rateLimitKey(env, caller, request) });
  if (success) return undefined;
  const setting = rateLimitSetting(env);
  const period = setting?.period ?? FALLBACK_PERIOD;
  return json(
    429,
    { error: 'rate_limited', message: `too many requests; try again in ${period} seconds`, retryAfter: period },
    {
      'retry-after': String(period),
      ...(setting ? { 'x-ratelimit-limit': String(setting.limit) } : {}),
      'x-ratelimit-remaining': '0',
      // The binding does not say when its window turns; the period is the longest the caller waits.
      'x-ratelimit-reset': String(period),
    },
  );
}
