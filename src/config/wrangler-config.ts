import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { applyEdits, type FormattingOptions, modify, type ParseError, parse, printParseErrorCode } from 'jsonc-parser';
import { usageError } from '../util/errors.js';
import { exists, writeFileAtomic } from '../util/files.js';

export const CONFIG_FILES = ['wrangler.jsonc', 'wrangler.json'] as const;

export interface WranglerEnv {
  name?: string;
  vars?: Record<string, unknown>;
  analytics_engine_datasets?: { binding: string; dataset: string }[];
  routes?: unknown[];
  route?: unknown;
  workers_dev?: boolean;
  [key: string]: unknown;
}

export interface WranglerConfig {
  name?: string;
  main?: string;
  account_id?: string;
  env?: Record<string, WranglerEnv>;
  [key: string]: unknown;
}

export interface ConfigFile {
  path: string;
  text: string;
  config: WranglerConfig;
}

/** Finds the project's wrangler config; TOML is not supported because edits must keep comments. */
export async function findConfigPath(projectDir: string): Promise<string> {
  for (const name of CONFIG_FILES) {
    const path = join(projectDir, name);
    if (await exists(path)) return path;
  }
  const toml = join(projectDir, 'wrangler.toml');
  if (await exists(toml)) {
    throw usageError(`${toml}: mcp-fleet edits wrangler.jsonc, not TOML`, 'Convert the config to wrangler.jsonc first.');
  }
  throw usageError(`no wrangler.jsonc in ${projectDir}`, 'Run mcp-fleet init, or pass -C <dir> to point at the fleet project.');
}

/** 1-based line and column of an offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return { line, column };
}

/** Parses JSONC strictly: any syntax error names the file, line and column. */
export function parseConfigText(text: string, path: string): WranglerConfig {
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first) {
    const { line, column } = lineAndColumn(text, first.offset);
    throw usageError(`${path}:${line}:${column}: ${printParseErrorCode(first.error)}`, 'Fix the syntax error; mcp-fleet changed nothing.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw usageError(`${path}: the top level must be an object`);
  }
  const config = value as WranglerConfig;
  if (config.env !== undefined && (typeof config.env !== 'object' || config.env === null || Array.isArray(config.env))) {
    throw usageError(`${path}: "env" must be an object of environments`);
  }
  return config;
}

export async function readConfig(projectDir: string): Promise<ConfigFile> {
  const path = await findConfigPath(projectDir);
  const text = await readFile(path, 'utf8');
  return { path, text, config: parseConfigText(text, path) };
}

/** Detects the file's indentation so inserted sections look like the rest. */
export function detectFormatting(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indented = text.split(/\r?\n/).find((line) => /^[ \t]+\S/.test(line));
  if (indented?.startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol };
  const width = indented ? (indented.match(/^ +/)?.[0].length ?? 2) : 2;
  return { insertSpaces: true, tabSize: width, eol };
}

/** Sets (or, with undefined, removes) the value at a JSON path, changing no other byte of the file. */
export function setAt(text: string, path: (string | number)[], value: unknown): string {
  const edits = modify(text, path, value, { formattingOptions: detectFormatting(text) });
  return applyEdits(text, edits);
}

export function addEnvSection(text: string, client: string, section: WranglerEnv): string {
  return setAt(text, ['env', client], section);
}

export function removeEnvSection(text: string, client: string): string {
  return setAt(text, ['env', client], undefined);
}

/** Writes the config atomically, keeping the file's mode. */
export async function writeConfigText(path: string, text: string): Promise<void> {
  const mode = (await stat(path)).mode & 0o777;
  await writeFileAtomic(path, text, { mode });
}
