import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

export interface FileState {
  content: string;
  mode: number;
}

/** Every file under dir (node_modules excluded) with its bytes and mode, to prove nothing changed. */
export async function snapshotDir(dir: string): Promise<Record<string, FileState>> {
  const out: Record<string, FileState> = {};
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    const path = join(entry.parentPath, entry.name);
    const rel = relative(dir, path);
    if (rel.startsWith('node_modules') || !entry.isFile()) continue;
    out[rel] = { content: await readFile(path, 'utf8'), mode: (await stat(path)).mode & 0o777 };
  }
  return out;
}

export async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}
