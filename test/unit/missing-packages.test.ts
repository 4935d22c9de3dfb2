import { describe, expect, test } from 'vitest';
import { installCommand, missingPackages, unresolvedPackages } from '../../src/cloudflare/missing-packages.js';

/** What wrangler prints when a project made with `init --deps none` is bundled before `npm install`. */
const OUTPUT = [
  '✘ [ERROR] Build failed with 2 errors:',
  '  ✘ [ERROR] Could not resolve "@modelcontextprotocol/server"',
  '      src/platform/mcp.ts:10:7:',
  '    To fix this, you can add an entry to "alias" in your Wrangler configuration.',
  '  ✘ [ERROR] Could not resolve "zod"',
  '      src/tools.ts:2:18:',
  '  ✘ [ERROR] Could not resolve "zod/v4/core"',
];

describe('a build that fails on packages that are not installed', () => {
  test('names the packages (scoped ones whole, subpaths as their package), not files or built-ins', () => {
    expect(unresolvedPackages(OUTPUT)).toEqual(['@modelcontextprotocol/server', 'zod']);
    expect(unresolvedPackages(['✘ [ERROR] Could not resolve "./tools.js"', 'Could not resolve "node:fs"'])).toEqual([]);
  });

  test('says to install them, with the command as it runs from here', () => {
    expect(missingPackages(OUTPUT, '/work/fleet', '/work/fleet')).toEqual({
      failure: 'the worker imports @modelcontextprotocol/server, zod, which are not installed in the project',
      hint: "install the project's dependencies: npm install",
    });
    expect(installCommand('/work/my fleet', '/work')).toBe("npm install --prefix '/work/my fleet'");
    expect(missingPackages(['✘ [ERROR] Expected ";" but found "}"'], '/work/fleet')).toBeUndefined();
  });
});
