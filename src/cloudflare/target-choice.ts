import { readRememberedTarget } from '../local/lifecycle/remembered-target.js';
import { usageError } from '../util/errors.js';

/**
 * Which target a command acts on, and what said so. In order: `--local` or `--remote` on the
 * command line; MCP_FLEET_TARGET in the environment; the project's remembered target (`local start`
 * until `local stop`); else Cloudflare.
 */

export type TargetKind = 'cloudflare' | 'local';

/** flag: --local/--remote; environment: MCP_FLEET_TARGET; project: remembered since `local start`; default: Cloudflare. */
export type ChosenBy = 'flag' | 'environment' | 'project' | 'default';

export interface TargetChoice {
  kind: TargetKind;
  by: ChosenBy;
  /** The project remembers the local edge (so a choice of Cloudflare is one against its default). */
  localRemembered: boolean;
}

/** The target flags a command takes (options.ts `local`, `remote`). */
export interface TargetFlags {
  local: boolean;
  remote: boolean;
}

export const TARGET_ENV = 'MCP_FLEET_TARGET';

const ENV_VALUES: Readonly<Record<string, TargetKind>> = { local: 'local', cloudflare: 'cloudflare' };

/** The choice the command line or the environment makes, if any (no I/O); contradictions are bad usage. */
export function explicitChoice(flags: TargetFlags, env: NodeJS.ProcessEnv): Omit<TargetChoice, 'localRemembered'> | undefined {
  if (flags.local && flags.remote) throw usageError('--local and --remote contradict each other: give one of them');
  if (flags.local) return { kind: 'local', by: 'flag' };
  if (flags.remote) return { kind: 'cloudflare', by: 'flag' };
  const raw = env[TARGET_ENV];
  if (raw === undefined || raw === '') return undefined;
  const kind = ENV_VALUES[raw.trim().toLowerCase()];
  if (!kind)
    throw usageError(
      `${TARGET_ENV}=${raw}: expected local or cloudflare`,
      `Unset it, or set ${TARGET_ENV}=local or ${TARGET_ENV}=cloudflare.`,
    );
  return { kind, by: 'environment' };
}

/** The arguments that make a printed next step act on the same target as this command, whatever its shell exports. */
export function targetArgs(flags: TargetFlags, env: NodeJS.ProcessEnv): string[] {
  let choice: ReturnType<typeof explicitChoice>;
  try {
    choice = explicitChoice(flags, env);
  } catch {
    return []; // the command stops on it with its own message
  }
  if (!choice) return []; // the project's own default: the next step picks it the same way
  return choice.kind === 'local' ? ['--local'] : ['--remote'];
}

export async function chooseTarget(projectDir: string, flags: TargetFlags, env: NodeJS.ProcessEnv = process.env): Promise<TargetChoice> {
  const explicit = explicitChoice(flags, env);
  // A command told where to act does not depend on the record: a broken one only matters when it decides.
  if (explicit) return { ...explicit, localRemembered: (await readRememberedTarget(projectDir).catch(() => undefined)) !== undefined };
  const localRemembered = (await readRememberedTarget(projectDir)) !== undefined;
  return localRemembered ? { kind: 'local', by: 'project', localRemembered } : { kind: 'cloudflare', by: 'default', localRemembered };
}
