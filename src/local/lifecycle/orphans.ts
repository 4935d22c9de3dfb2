import { readdir, readFile } from 'node:fs/promises';

/**
 * workerd processes a dead edge left behind. An edge killed with SIGKILL cannot stop its workerd,
 * and where die-with-parent.ts cannot arrange for the kernel to do it, they keep running in the dead
 * edge's process group. A PID stays reserved while it names a live group, so the group cannot
 * belong to anyone else. Linux /proc only; elsewhere none are found.
 */
export async function orphanedWorkerd(groupId: number): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the parenthesised command name: state, ppid, pgrp, …
    const match = /^\d+ \((.*)\) (\S+) \d+ (\d+)/.exec(stat);
    if (match && match[1] === 'workerd' && match[2] !== 'Z' && Number(match[3]) === groupId) found.push(Number(entry));
  }
  return found;
}

/** Stops (SIGTERM) the workerd a dead edge left in its group; returns how many. */
export async function stopOrphanedWorkerd(groupId: number): Promise<number> {
  const orphans = await orphanedWorkerd(groupId);
  for (const pid of orphans) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone meanwhile
    }
  }
  return orphans.length;
}
