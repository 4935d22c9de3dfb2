import { FleetError } from '../util/errors.js';
import { commandLine } from '../util/next-step.js';
import { cloudflareTarget } from './cloudflare-target.js';
import { localTarget } from './local-target.js';
import type { Target } from './target.js';
import type { TargetChoice } from './target-choice.js';

export interface ResolveTargetOptions {
  projectDir: string;
  /** Where to act (target-choice.ts): the local edge recorded in .mcp-fleet/local/edge.json, or Cloudflare. */
  choice: TargetChoice;
  /** account_id from wrangler.jsonc. */
  configAccountId: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/**
 * Picks the Target every Cloudflare-facing command runs against, once, before any client is worked
 * on. For the local edge that includes proving that the recorded edge is alive and is that edge (see
 * localTarget): a dead or replaced edge is one exit-2 message, not a connection error per client —
 * and when the edge is the project's remembered default, the message says so, so that nothing ever
 * falls back to Cloudflare unasked.
 */
export async function resolveTarget(options: ResolveTargetOptions): Promise<Target> {
  const { choice } = options;
  if (choice.kind === 'cloudflare') {
    return { ...cloudflareTarget({ env: options.env ?? process.env, configAccountId: options.configAccountId }), choice };
  }
  try {
    return { ...(await localTarget(options.projectDir)), choice };
  } catch (error) {
    if (choice.by !== 'project' || !(error instanceof FleetError)) throw error;
    throw new FleetError(`this project acts on the local edge (local start made it the default), but ${error.message}`, {
      exitCode: error.exitCode,
      hint: `${error.hint ? `${error.hint}; ` : ''}to act on Cloudflare again: ${commandLine('local', 'stop')} (or add --remote to one command).`,
    });
  }
}
