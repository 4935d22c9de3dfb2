import type { Stats } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';
import { FleetError } from '../../util/errors.js';
import { statePaths } from '../../util/state-dir.js';

/**
 * The project an edge was started in, held by identity (device and inode) rather than by path. An
 * edge outlives a `mv` or `rm -r` of its project; writing by path after that would recreate the old
 * path (with every version of a client's secrets) or write into whatever lives there now. So before
 * every write, and every second, the edge asks whether its paths still lead to the directories it
 * started in, and stops when they do not.
 */
export interface ProjectAnchor {
  /** Why the project's path no longer leads to the project, or undefined while it does. */
  problem(): Promise<string | undefined>;
}

type Identity = Pick<Stats, 'dev' | 'ino'>;

/** Anchors the project and its `.mcp-fleet/local/` (which must exist: claimProject made it). */
export async function anchorProject(projectDir: string): Promise<ProjectAnchor> {
  const local = statePaths.localEdge(projectDir);
  // The project's own path may be a link the user chose (-C); the state directory never is one.
  const anchors: { path: string; read: (path: string) => Promise<Stats>; was: Identity }[] = [
    { path: projectDir, read: stat, was: await stat(projectDir) },
    { path: local, read: lstat, was: await lstat(local) },
  ];
  return {
    async problem() {
      for (const { path, read, was } of anchors) {
        const now = await read(path).catch(() => undefined);
        if (!now) return `${path} is gone (the project was moved or removed)`;
        if (now.dev !== was.dev || now.ino !== was.ino) return `${path} is another directory now (the project was moved or replaced)`;
      }
      return undefined;
    },
  };
}

export interface ProjectWatch {
  /** Throws (and starts the edge's stop) when the project has moved: for the store, before each write. */
  beforeWrite(): Promise<void>;
  /** Resolves with the reason once the project has moved and the edge stops on its own. */
  readonly gone: Promise<string>;
  /** Stops watching (the edge stops for another reason). */
  close(): void;
}

/** Checks the anchor before every write and every `intervalMs`; the first problem calls `onGone`, once. */
export function watchProject(anchor: ProjectAnchor, onGone: (reason: string) => void, intervalMs = 1_000): ProjectWatch {
  let reason: string | undefined;
  let resolveGone: (reason: string) => void = () => undefined;
  const gone = new Promise<string>((resolve) => {
    resolveGone = resolve;
  });
  const leave = (problem: string) => {
    if (reason !== undefined) return;
    reason = problem;
    clearInterval(timer);
    onGone(problem);
    resolveGone(problem);
  };
  const timer = setInterval(() => {
    void anchor.problem().then((problem) => problem && leave(problem));
  }, intervalMs);
  timer.unref();
  return {
    async beforeWrite() {
      const problem = reason ?? (await anchor.problem());
      if (!problem) return;
      leave(problem);
      throw new FleetError(`the local edge writes nothing outside the project it was started in: ${problem}; it stops`);
    },
    gone,
    close: () => clearInterval(timer),
  };
}
