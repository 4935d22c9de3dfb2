import { join, relative } from 'node:path';
import { execa } from 'execa';
import { usageError } from '../util/errors.js';
import { readFileIfExists, TEMP_SUFFIX, writeFileAtomic } from '../util/files.js';

/**
 * Lines that keep every client's secrets out of git while the template stays committed. The temp
 * files of atomic writes are in it because a write killed before its rename leaves a full copy of
 * the file it was writing (`.secrets.acme.<pid>-<hex>.mcp-fleet-tmp` matches `.secrets.*` too, but
 * `.wrangler.jsonc.…` and files of older versions' naming do not).
 */
export const SECRETS_IGNORE_LINES = ['.secrets.*', '!.secrets.template', `*${TEMP_SUFFIX}`] as const;

const SECRETS_HEADER = '# mcp-fleet: client secrets never go to git';

/** Returns the .gitignore text with `lines` added under `header` where missing (undefined when nothing to add). */
function withIgnoreLines(current: string, lines: readonly string[], header: string): string | undefined {
  const present = new Set(current.split(/\r?\n/).map((line) => line.trim()));
  const wanted = lines.filter((line) => !present.has(line));
  if (wanted.length === 0) return undefined;
  // An existing CRLF .gitignore stays CRLF.
  const eol = current.includes('\r\n') ? '\r\n' : '\n';
  const base = current === '' || current.endsWith('\n') ? current : `${current}${eol}`;
  const separator = current === '' ? '' : eol;
  return `${base}${separator}${header}${eol}${wanted.join(eol)}${eol}`;
}

/** Adds `lines` to the project's .gitignore where missing; true when it changed the file. */
export async function ensureIgnored(projectDir: string, lines: readonly string[], header: string): Promise<boolean> {
  const path = join(projectDir, '.gitignore');
  const current = (await readFileIfExists(path)) ?? '';
  const next = withIgnoreLines(current, lines, header);
  if (next === undefined) return false;
  await writeFileAtomic(path, next);
  return true;
}

export async function ensureSecretsIgnored(projectDir: string, extra: readonly string[] = []): Promise<boolean> {
  return ensureIgnored(projectDir, [...SECRETS_IGNORE_LINES, ...extra], SECRETS_HEADER);
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
