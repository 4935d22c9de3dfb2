import { resolve } from 'node:path';
import { shellQuote } from '../util/next-step.js';

/**
 * A bundle that fails because the worker's packages are not installed (a project made with
 * `init --deps none`, or a fresh clone of one) says so, and how to install them, instead of
 * leaving a person with esbuild's `Could not resolve "zod"`.
 */

/** The packages esbuild could not resolve (`zod`, `@modelcontextprotocol/server`), from its output; files and built-in modules are not packages. */
export function unresolvedPackages(lines: readonly string[]): string[] {
  const found = new Set<string>();
  for (const line of lines) {
    const specifier = /Could not resolve "([^"]+)"/.exec(line)?.[1];
    if (specifier === undefined || /^[./]/.test(specifier) || specifier.includes(':')) continue;
    const parts = specifier.split('/');
    found.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string));
  }
  return [...found].sort();
}

/** The command that installs the project's dependencies, as it runs from the current directory. */
export function installCommand(projectDir: string, cwd: string = process.cwd()): string {
  return resolve(cwd) === resolve(projectDir) ? 'npm install' : `npm install --prefix ${shellQuote(projectDir)}`;
}

/** What to say when the build's output shows uninstalled packages; undefined otherwise. */
export function missingPackages(
  lines: readonly string[],
  projectDir: string,
  cwd: string = process.cwd(),
): { failure: string; hint: string } | undefined {
  const packages = unresolvedPackages(lines);
  if (packages.length === 0) return undefined;
  return {
    failure: `the worker imports ${packages.join(', ')}, which ${packages.length === 1 ? 'is' : 'are'} not installed in the project`,
    hint: `install the project's dependencies: ${installCommand(projectDir, cwd)}`,
  };
}
