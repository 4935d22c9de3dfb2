import { cp, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from './cli.js';

export const templateDir = join(repoRoot, 'templates', 'project');

/** A date the bundled workerd supports; tests pin it so they never depend on the clock. */
export const TEST_COMPATIBILITY_DATE = '2026-11-01';

export interface ScaffoldOptions {
  compatibilityDate?: string;
}

/**
 * Writes templates/project into `dir` the way `mcp-fleet init` is specified to:
 * placeholders replaced in every file, `gitignore` renamed to `.gitignore`.
 * A stand-in for tests until `init` exists; it does not link node_modules.
 */
export async function scaffoldTemplateProject(dir: string, name: string, options: ScaffoldOptions = {}): Promise<void> {
  const compatibilityDate = options.compatibilityDate ?? TEST_COMPATIBILITY_DATE;
  await cp(templateDir, dir, { recursive: true });
  for (const file of await filesUnder(dir)) {
    const text = await readFile(file, 'utf8');
    const replaced = text.replaceAll('__NAME__', name).replaceAll('__COMPATIBILITY_DATE__', compatibilityDate);
    if (replaced !== text) await writeFile(file, replaced);
  }
  await rename(join(dir, 'gitignore'), join(dir, '.gitignore'));
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if ((await stat(path)).isFile()) out.push(path);
  }
  return out;
}
