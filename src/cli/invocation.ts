import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * How the person running this process can run mcp-fleet again: `mcp-fleet` when that name on
 * PATH is this very program, else `node <path to bin/mcp-fleet.js>` (a fresh clone has no
 * mcp-fleet on PATH until `npm link`). Commands that print next steps print this, so what they
 * print works as printed.
 */
export function cliInvocation(env: NodeJS.ProcessEnv = process.env, script: string | undefined = process.argv[1]): string {
  if (!script) return 'mcp-fleet';
  const self = safeRealpath(script);
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'mcp-fleet');
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    // The first mcp-fleet on PATH is the one a shell runs: it must be this one.
    return safeRealpath(candidate) === self ? 'mcp-fleet' : `node ${self}`;
  }
  return `node ${self}`;
}

function safeRealpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
