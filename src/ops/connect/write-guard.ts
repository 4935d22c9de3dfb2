import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { execa } from 'execa';
import { usageError } from '../../util/errors.js';

/**
 * `connect --write` puts host configurations (with --inline-key, keys) on disk. Inside a git
 * working tree they are one `git add -A` away from a commit, so every file it would write must be
 * ignored by that repository's rules; outside any repository there is nothing to check.
 */
export async function refuseUnignoredWrite(dir: string, files: readonly string[]): Promise<void> {
  const found = await unignored(dir, files);
  if (!found) return;
  const { root, notIgnored, relDir } = found;
  throw usageError(
    `--write ${dir}: ${notIgnored.length === 1 ? `${notIgnored[0]} is` : `${notIgnored.length} files (${notIgnored.join(', ')}) are`} inside the git repository at ${root} and not ignored; a host configuration there could be committed`,
    relDir === '.'
      ? 'Write them outside the repository, e.g. --write ~/mcp-configs.'
      : `Write them outside the repository, or ignore the directory first: echo '${relDir.split(sep).join('/')}/' >> ${join(root, '.gitignore')}`,
  );
}

/**
 * `--write <file>` with a key in it: the same rule for the one host file. (Without a key, a host
 * file inside a repository, such as .vscode/mcp.json or .mcp.json, is meant to be shared.)
 */
export async function refuseUnignoredKeyFile(path: string): Promise<void> {
  const found = await unignored(dirname(path), [basename(path)]);
  if (!found) return;
  const [file = basename(path)] = found.notIgnored;
  throw usageError(
    `--write ${path}: the file would hold a key, and ${file} is inside the git repository at ${found.root} and not ignored; it could be committed`,
    `Leave --inline-key out (the configuration then refers to a variable), or ignore the file first: echo '/${file.split(sep).join('/')}' >> ${join(found.root, '.gitignore')}`,
  );
}

async function unignored(
  dir: string,
  files: readonly string[],
): Promise<{ root: string; notIgnored: string[]; relDir: string } | undefined> {
  const absolute = resolve(dir);
  const existing = await nearestExisting(absolute);
  if (!(await stat(existing)).isDirectory()) throw usageError(`--write ${dir}: ${existing} is not a directory`);
  const top = await execa('git', ['rev-parse', '--show-toplevel'], { cwd: existing, reject: false });
  if (top.exitCode !== 0) return undefined;
  const root = top.stdout.trim();
  // git answers with the real path; compare like with like.
  const real = join(await realpath(existing), relative(existing, absolute));
  const paths = files.map((file) => relative(root, join(real, file)));
  const notIgnored: string[] = [];
  for (const path of paths) {
    const check = await execa('git', ['check-ignore', '-q', '--', path], { cwd: root, reject: false });
    if (check.exitCode !== 0) notIgnored.push(path);
  }
  if (notIgnored.length === 0) return undefined;
  return { root, notIgnored, relDir: relative(root, real) || '.' };
}

async function nearestExisting(path: string): Promise<string> {
  let current = path;
  for (;;) {
    try {
      await stat(current);
      return current;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const parent = dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}
