import { cloudflareTarget } from './cloudflare-target.js';
import { localTarget } from './local-target.js';
import type { Target } from './target.js';

export interface ResolveTargetOptions {
  projectDir: string;
  /** --local: the edge recorded in .mcp-fleet/local/edge.json. */
  local: boolean;
  /** account_id from wrangler.jsonc. */
  configAccountId: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/**
 * Picks the Target every Cloudflare-facing command runs against, once, before any client is worked
 * on. With --local that includes proving that the recorded edge is alive and is that edge (see
 * localTarget): a dead or replaced edge is one exit-2 message, not a connection error per client.
 */
export async function resolveTarget(options: ResolveTargetOptions): Promise<Target> {
  if (options.local) return localTarget(options.projectDir);
  return cloudflareTarget({ env: options.env ?? process.env, configAccountId: options.configAccountId });
}
