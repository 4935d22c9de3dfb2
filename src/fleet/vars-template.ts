import { join } from 'node:path';
import { parseSecrets } from '../secrets/dotfile.js';
import { usageError } from '../util/errors.js';
import { readFileIfExists } from '../util/files.js';

/**
 * `.vars.template`: the plain settings (wrangler `vars`) a client's worker reads besides its
 * secrets, such as the base URL of its upstream. Same `KEY=VALUE` format as `.secrets.template`;
 * a value is the default, an empty one means "ask". `add` asks for each one (or takes `--set` /
 * `--from-env`) and writes what it is given into the new section's `vars`; a setting left empty
 * is not written, and add says so. Optional: a project without the file has no such settings.
 */
export const VARS_TEMPLATE_FILE = '.vars.template';

/** Set by mcp-fleet from the client's name: never asked for. */
const GENERATED_VARS: ReadonlySet<string> = new Set(['CLIENT_ID']);

export interface ClientVar {
  key: string;
  /** The template's value, '' when there is none. */
  defaultValue: string;
}

export interface VarsTemplate {
  path: string;
  vars: ClientVar[];
}

/** Reads the project's `.vars.template`; undefined when there is none. A key that is also a secret is bad input. */
export async function readVarsTemplate(projectDir: string, secretKeys: readonly string[]): Promise<VarsTemplate | undefined> {
  const path = join(projectDir, VARS_TEMPLATE_FILE);
  const text = await readFileIfExists(path);
  if (text === undefined) return undefined;
  const entries = parseSecrets(text, path);
  for (const entry of entries) {
    if (secretKeys.includes(entry.key)) {
      throw usageError(
        `${path}:${entry.line}: ${entry.key} is also in .secrets.template; a value is either a secret or a plain setting`,
        `Remove it from one of the two files (settings in ${VARS_TEMPLATE_FILE} end up in wrangler.jsonc, visible to anyone who reads it).`,
      );
    }
    if (GENERATED_VARS.has(entry.key)) {
      throw usageError(`${path}:${entry.line}: ${entry.key} is set by mcp-fleet from the client's name`, `Remove it from ${path}.`);
    }
  }
  return { path, vars: entries.map((entry) => ({ key: entry.key, defaultValue: entry.value })) };
}

/** Why a setting's value cannot be used, or undefined. A `…_URL` setting must be an absolute http(s) URL. */
export function varValueProblem(key: string, value: string): string | undefined {
  if (!key.endsWith('_URL') || value === '') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not an absolute URL (e.g. https://api.example.com)';
  }
  return url.protocol === 'https:' || url.protocol === 'http:' ? undefined : `is a ${url.protocol} URL; expected http: or https:`;
}
