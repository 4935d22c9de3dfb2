import { join } from 'node:path';
import type { Command } from 'commander';
import type { CommandContext } from './context.js';

/** Every command that changes the project or remote state takes `--no-wait`. */
export function addLockOption(command: Command): Command {
  return command.option('--no-wait', 'fail at once instead of waiting when another mcp-fleet command is changing this project');
}

/** "secrets rotate" for the rotate subcommand: the name a waiting writer is shown. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current?.parent; current = current.parent) names.unshift(current.name());
  return names.join(' ');
}

/**
 * Runs `work` holding the project lock (see util/project-lock.ts). Taken before the project is
 * read, so what a writer reads is what it changes.
 */
export async function withProjectLock<T>(
  cmd: Command,
  ctx: CommandContext,
  flags: { wait?: boolean },
  work: () => Promise<T>,
  projectDir: string = ctx.cwd,
): Promise<T> {
  const [{ acquireProjectLock, describeHolder }, { CONFIG_FILES }, { exists }] = await Promise.all([
    import('../util/project-lock.js'),
    import('../config/wrangler-config.js'),
    import('../util/files.js'),
  ]);
  // No wrangler config, no project to protect: the command refuses on its own, and the lock must
  // not leave a .mcp-fleet/ behind in a directory that is not a fleet project.
  const isProject = (await Promise.all(CONFIG_FILES.map((name) => exists(join(projectDir, name))))).some(Boolean);
  if (!isProject) return work();
  const lock = await acquireProjectLock(projectDir, {
    command: commandPath(cmd),
    wait: flags.wait !== false,
    onWaiting: (holder) => ctx.output.warn(`waiting for another mcp-fleet command to finish: ${describeHolder(holder)}`),
  });
  try {
    return await work();
  } finally {
    await lock.release();
  }
}
