import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { applyEdits, type JSONPath, modify } from 'jsonc-parser';
import { accessError, usageError } from '../util/errors.js';
import { exists, writeFileAtomic } from '../util/files.js';
import { commandLine } from '../util/next-step.js';
import { checkConfigShape, propertiesOf } from './config-shape.js';
import { type JsoncDocument, nodeAt, parseJsonc, positionOf } from './jsonc-document.js';
import { appendProperty, appendPropertySource, type Layout, propertySource, removeProperty } from './member-edits.js';

export const CONFIG_FILES = ['wrangler.jsonc', 'wrangler.json'] as const;

export interface WranglerEnv {
  name?: string;
  vars?: Record<string, unknown>;
  analytics_engine_datasets?: { binding: string; dataset?: string }[];
  /** Workers KV bindings (OAUTH_KV for oauth and jwt modes); wrangler deploys more fields (preview_id, remote) than mcp-fleet reads. */
  kv_namespaces?: { binding: string; id: string; [key: string]: unknown }[];
  /** Workers Rate Limiting bindings (RATE_LIMITER, `mcp-fleet add`); config-shape.ts checks them. */
  ratelimits?: { name: string; namespace_id: string; simple: { limit: number; period: number } }[];
  routes?: unknown[];
  route?: unknown;
  workers_dev?: boolean;
  [key: string]: unknown;
}

/** The top level: the settings of the top-level worker (as an env's), the envs, and the account. */
export interface WranglerConfig extends WranglerEnv {
  main?: string;
  account_id?: string;
  env?: Record<string, WranglerEnv>;
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
  throw usageError(`no wrangler.jsonc in ${projectDir}`, `Run ${commandLine('init')}, or pass -C <dir> to point at the fleet project.`);
}

/** A parsed wrangler config, with where each part of it is written (for messages). */
export interface ParsedConfig {
  config: WranglerConfig;
  /** Every env key as written (including keys no client could have), in file order. */
  envKeys: { name: string; at: string }[];
  /** `path:line:column` of the value at a JSON path, or of the file when there is none. */
  positionOf(path: JSONPath): string;
}

export interface ConfigFile extends ParsedConfig {
  path: string;
  /** The file's text exactly as read, byte order mark included. */
  text: string;
}

function parseDocument(text: string, path: string): JsoncDocument {
  const doc = parseJsonc(text, path);
  checkConfigShape(doc);
  return doc;
}

/** Parses and checks a wrangler config; bad syntax or a wrong shape names the file, line and column. */
export function parseConfig(text: string, path: string): ParsedConfig {
  const doc = parseDocument(text, path);
  return {
    config: doc.value as WranglerConfig,
    envKeys: propertiesOf(nodeAt(doc, ['env'])).map(({ key, keyNode }) => ({ name: key, at: positionOf(doc, keyNode.offset) })),
    positionOf: (at) => positionOf(doc, nodeAt(doc, at)?.offset ?? 0),
  };
}

export function parseConfigText(text: string, path: string): WranglerConfig {
  return parseConfig(text, path).config;
}

export async function readConfig(projectDir: string): Promise<ConfigFile> {
  const path = await findConfigPath(projectDir);
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    throw accessError(error, path, 'read') ?? error;
  });
  return { path, text, ...parseConfig(text, path) };
}

/** Detects the file's indentation so inserted sections look like the rest. */
export function detectLayout(text: string): Layout {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indented = text.split(/\r?\n/).find((line) => /^[ \t]+\S/.test(line));
  if (indented?.startsWith('\t')) return { indent: '\t', eol };
  return { indent: ' '.repeat(indented?.match(/^ +/)?.[0].length ?? 2), eol };
}

/**
 * Adds env.<client> as the last env section. Every byte outside the new section stays as it
 * was, except the comma that now separates it from the section before.
 */
export function addEnvSection(text: string, client: string, section: WranglerEnv, path = 'wrangler.jsonc'): string {
  const doc = parseDocument(text, path);
  return nodeAt(doc, ['env']) ? addMember(text, ['env'], client, section, path) : addMember(text, [], 'env', { [client]: section }, path);
}

/**
 * Adds `key: value` as the last member of the object at `objectPath` ([] for the top level), which
 * must exist; every other byte stays as it was, but for a separating comma.
 */
export function addMember(text: string, objectPath: JSONPath, key: string, value: unknown, path = 'wrangler.jsonc'): string {
  const doc = parseDocument(text, path);
  const object = objectPath.length === 0 ? doc.root : nodeAt(doc, objectPath);
  if (object?.type !== 'object') throw new Error(`${path}: no object at ${objectPath.join('.')} to add ${key} to`);
  return doc.bom + appendProperty(doc.body, object, key, value, detectLayout(text));
}

/** Removes env.<client> with the comments it owns; every other byte stays as it was. */
export function removeEnvSection(text: string, client: string, path = 'wrangler.jsonc'): string {
  const doc = parseDocument(text, path);
  const env = nodeAt(doc, ['env']);
  const index = propertiesOf(env).findIndex(({ key }) => key === client);
  if (!env || index < 0) return text;
  return doc.bom + removeProperty(doc.body, env, index);
}

/** What removing env.<client> took out of the config, enough to put it back (see restoreEnvSection). */
export interface RemovedSection {
  /** The section as written: the comment lines directly above it, its key and its value, byte for byte. */
  source: string;
  /** The same without the comment lines. */
  property: string;
  /** The one edit that turns the text after the removal back into the text before it. */
  undo: { start: number; end: number; text: string };
  /** sha256 (hex) of the text after the removal: the undo applies to that text only. */
  afterSha256: string;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** As removeEnvSection, with what was taken out; `removed` is undefined when there was no such section. */
export function removeEnvSectionKeeping(
  text: string,
  client: string,
  path = 'wrangler.jsonc',
): { text: string; removed: RemovedSection | undefined } {
  const doc = parseDocument(text, path);
  const env = nodeAt(doc, ['env']);
  const index = propertiesOf(env).findIndex(({ key }) => key === client);
  if (!env || index < 0) return { text, removed: undefined };
  const written = propertySource(doc.body, env, index);
  const after = removeEnvSection(text, client, path);
  if (!written) return { text: after, removed: undefined };
  // The removal only deletes text: what lies between the common start and end of the two is the undo.
  let start = 0;
  while (start < after.length && after[start] === text[start]) start++;
  let common = 0;
  while (common < after.length - start && after[after.length - 1 - common] === text[text.length - 1 - common]) common++;
  const undo = { start, end: after.length - common, text: text.slice(start, text.length - common) };
  return { text: after, removed: { ...written, undo, afterSha256: sha256(after) } };
}

/**
 * Puts a removed env section back. When the config is as the removal left it, the removal is undone
 * and the file is again exactly what it was; otherwise the section, as it was written, becomes the
 * last env section. `exact` says which. A section of that name in the config is bad input.
 */
export function restoreEnvSection(
  text: string,
  client: string,
  removed: RemovedSection,
  path = 'wrangler.jsonc',
): { text: string; exact: boolean } {
  const doc = parseDocument(text, path);
  if (nodeAt(doc, ['env', client]) !== undefined)
    throw usageError(`${path} has an env.${client} already`, `Remove or rename that section first; mcp-fleet changed nothing.`);
  if (sha256(text) === removed.afterSha256 && removed.undo.end <= text.length) {
    const { start, end, text: undone } = removed.undo;
    return { text: text.slice(0, start) + undone + text.slice(end), exact: true };
  }
  const withEnv = nodeAt(doc, ['env']) === undefined ? addMember(text, [], 'env', {}, path) : text;
  const envDoc = parseDocument(withEnv, path);
  const env = nodeAt(envDoc, ['env']);
  if (env?.type !== 'object') throw usageError(`${path}: "env" is not an object`);
  return { text: envDoc.bom + appendPropertySource(envDoc.body, env, removed, detectLayout(withEnv)), exact: false };
}

/** Writes the config atomically, keeping the file's mode. */
export async function writeConfigText(path: string, text: string): Promise<void> {
  const mode = (await stat(path)).mode & 0o777;
  await writeFileAtomic(path, text, { mode });
}

/**
 * Sets the member at `memberPath` (its parent object must exist) to `value`, replacing what is
 * there or adding it; comments and the formatting of everything else stay (jsonc-parser's edit).
 */
export function setMember(text: string, memberPath: JSONPath, value: unknown, path = 'wrangler.jsonc'): string {
  const parent = memberPath.slice(0, -1);
  const key = memberPath.at(-1);
  const doc = parseDocument(text, path);
  if (typeof key === 'string' && nodeAt(doc, memberPath) === undefined) return addMember(text, parent, key, value, path);
  const layout = detectLayout(text);
  const edits = modify(text, memberPath, value, {
    formattingOptions: {
      insertSpaces: layout.indent !== '\t',
      tabSize: layout.indent === '\t' ? 1 : layout.indent.length,
      eol: layout.eol,
    },
  });
  return applyEdits(text, edits);
}
