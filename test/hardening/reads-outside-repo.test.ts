import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { expect, test } from 'vitest';
import { repoRoot } from '../helpers/cli.js';

async function testFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'fixtures') out.push(...(await testFiles(path)));
    else if (entry.isFile() && entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** A fresh clone with nothing beside it must pass, so no test reaches past the repository. */
test('no test file reads a sibling of the repository (the shared folder, a sibling checkout)', async () => {
  const offenders: string[] = [];
  for (const file of await testFiles(join(repoRoot, 'test'))) {
    const text = await readFile(file, 'utf8');
    // repoRoot joined with '..' (or a literal parent-relative shared path) names something beside the clone.
    if (/repoRoot,\s*['"]\.\.['"]|['"]\.\.\/(\.\.\/)*shared\b|['"]\.\.['"],\s*['"]shared['"]/.test(text))
      offenders.push(relative(repoRoot, file));
  }
  expect(offenders).toEqual([]);
});
