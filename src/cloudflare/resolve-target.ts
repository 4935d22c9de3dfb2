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

/** Picks the Target every Cloudflare-facing command runs against. */
export async function resolveTarget(options: ResolveTargetOptions): Promise<Target> {
  if (options.local) return localTarget(options.projectDir);
  return cloudflareTarget({ env: options.env ?? process.env, configAccountId: options.configAccountId });
}
