import { join } from 'node:path';
import type { Output } from '../ui/output.js';

export interface LockRequest {
  /** The command a waiting writer is shown, e.g. `secrets rotate`. */
  command: string;
  output: Output;
  /** false with --no-wait: fail at once when another command holds the lock. */
  wait: boolean;
  projectDir: string;
}

/**
 * Runs `work` holding the project lock (see util/project-lock.ts). Taken before the project is
 * read, so what a writer reads is what it changes.
 */
export async function withProjectLock<T>(request: LockRequest, work: () => Promise<T>): Promise<T> {
  const [{ acquireProjectLock, describeHolder }, { CONFIG_FILES }, { exists }] = await Promise.all([
    import('../util/project-lock.js'),
    import('../config/wrangler-config.js'),
    import('../util/files.js'),
  ]);
  // No wrangler config, no project to protect: the command refuses on its own, and the lock must
  // not leave a .mcp-fleet/ behind in a directory that is not a fleet project.
  const isProject = (await Promise.all(CONFIG_FILES.map((name) => exists(join(request.projectDir, name))))).some(Boolean);
  if (!isProject) return work();
  const lock = await acquireProjectLock(request.projectDir, {
    command: request.command,
    wait: request.wait,
    onWaiting: (holder) => request.output.warn(`waiting for another mcp-fleet command to finish: ${describeHolder(holder)}`),
  });
  try {
    return await work();
  } finally {
    await lock.release();
  }
}
