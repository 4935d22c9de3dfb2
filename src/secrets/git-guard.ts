import { join, relative } from 'node:path';
import { execa } from 'execa';
import { usageError } from '../util/errors.js';
import { readFileIfExists, writeFileAtomic } from '../util/files.js';

/** Lines that keep every client's secrets out of git while the template stays committed. */
export const SECRETS_IGNORE_LINES = ['.secrets.*', '!.secrets.template'] as const;

/** Returns the .gitignore text with the secrets lines added where missing (undefined when nothing to add). */
export function withSecretsIgnored(current: string, extra: readonly string[] = []): string | undefined {
  const present = new Set(current.split(/\r?\n/).map((line) => line.trim()));
  const wanted = [...SECRETS_IGNORE_LINES, ...extra].filter((line) => !present.has(line));
  if (wanted.length === 0) return undefined;
  const base = current === '' || current.endsWith('\n') ? current : `${current}\n`;
  const header = current === '' ? '' : '\n';
  return `${base}${header}# mcp-fleet: client secrets never go to git\n${wanted.join('\n')}\n`;
}

export async function ensureSecretsIgnored(projectDir: string, extra: readonly string[] = []): Promise<boolean> {
  const path = join(projectDir, '.gitignore');
  const current = (await readFileIfExists(path)) ?? '';
  const next = withSecretsIgnored(current, extra);
  if (next === undefined) return false;
  await writeFileAtomic(path, next);
  return true;
}

/** Refuses (exit 2) when git already tracks the file: ignoring it would not stop it being committed. */
export async function refuseIfTracked(projectDir: string, path: string): Promise<void> {
  const rel = relative(projectDir, path);
  const result = await execa('git', ['ls-files', '--error-unmatch', '--', rel], { cwd: projectDir, reject: false });
  if (result.exitCode === 0) {
    throw usageError(
      `${rel} is tracked by git: its secrets would be committed`,
      `Untrack it first (the file stays on disk): git rm --cached -- ${rel} && git commit -m "Stop tracking ${rel}"`,
    );
  }
}
