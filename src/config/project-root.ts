import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { exists } from '../util/files.js';
import { CONFIG_FILES } from './wrangler-config.js';

/** A directory holding one of these is a wrangler project (TOML too: findConfigPath then says why it cannot be edited). */
const PROJECT_MARKERS = [...CONFIG_FILES, 'wrangler.toml'] as const;

export interface FoundProject {
  dir: string;
  /** The config file that marks it, e.g. wrangler.jsonc. */
  config: string;
}

async function configIn(dir: string): Promise<string | undefined> {
  for (const name of PROJECT_MARKERS) if (await exists(join(dir, name))) return name;
  return undefined;
}

/**
 * The nearest directory from `start` upward that holds a wrangler config, as git finds its
 * repository: `start` itself, then each parent. The search stops at the filesystem root, and
 * below the home directory: a stray ~/wrangler.jsonc must not turn every directory under home
 * into its project (home itself counts only when the search starts there).
 */
export async function findProjectUp(start: string, home: string = homedir()): Promise<FoundProject | undefined> {
  const top = resolve(home);
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    const config = await configIn(dir);
    if (config) return { dir, config };
    const parent = dirname(dir);
    if (parent === dir || dir === top || parent === top) return undefined;
  }
}
