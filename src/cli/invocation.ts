import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, join, relative, sep } from 'node:path';

/**
 * How the person running this process can run mcp-fleet again:
 * - `npx mcp-fleet` when npm started it (`npx mcp-fleet …`, or a package.json script) from a
 *   project's node_modules: a shell outside npm has no node_modules/.bin on its PATH;
 * - `mcp-fleet` when that name on PATH is this very program (an install or `npm link`);
 * - else `node <path to bin/mcp-fleet.js>`, relative when it is under the current directory
 *   (a fresh clone has no mcp-fleet on PATH).
 */
export function cliInvocation(
  env: NodeJS.ProcessEnv = process.env,
  script: string | undefined = process.argv[1],
  cwd: string = process.cwd(),
): string {
  if (!script) return 'mcp-fleet';
  const self = safeRealpath(script);
  if (env.npm_command !== undefined && self.split(sep).includes('node_modules')) return 'npx mcp-fleet';
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'mcp-fleet');
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    // The first mcp-fleet on PATH is the one a shell runs: it must be this one.
    return safeRealpath(candidate) === self ? 'mcp-fleet' : nodeInvocation(self, cwd);
  }
  return nodeInvocation(self, cwd);
}

function nodeInvocation(self: string, cwd: string): string {
  const path = relative(safeRealpath(cwd), self);
  return path.startsWith('..') || path === '' ? `node ${self}` : `node ${path}`;
}

function safeRealpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
