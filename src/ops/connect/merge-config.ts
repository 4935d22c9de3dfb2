import { isDeepStrictEqual } from 'node:util';
import { usageError } from '../../util/errors.js';
import type { HostFormat, HostServer } from './host-types.js';

/**
 * Merging a fleet's entries into a host configuration someone already has: pure functions from
 * the file's text to the new text. Every byte outside the entries mcp-fleet owns (the servers
 * named after its clients, and VS Code's inputs for their keys) stays as it was; the result is
 * parsed again and must equal the old data with exactly those entries set, or nothing is written.
 */

export interface MergeRequest {
  /** The file, as messages name it. */
  path: string;
  /** Its text; undefined (or blank) for a file that does not exist yet. */
  text: string | undefined;
  format: HostFormat;
  servers: readonly HostServer[];
}

/** What happened to a server's entry: new, written over an older one, or already as it should be. */
export type EntryChange = 'added' | 'replaced' | 'unchanged';

export interface MergeOutcome {
  text: string;
  /** By client name, in the order of the servers. */
  changes: Map<string, EntryChange>;
}

type Data = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Data {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The section of the host file holding servers; only formats with one reach the mergers. */
export function sectionOf(format: HostFormat): string {
  if (format.section === null) throw new Error(`${format.host} has no host file to merge into`);
  return format.section;
}

/** What the merged file must parse to: the old data with each server's entry (and input) set. */
export function expectedData(before: Data, format: HostFormat, servers: readonly HostServer[]): Data {
  const section = sectionOf(format);
  // No servers (the check of a file before any client is worked on): nothing is added, not even the section.
  if (servers.length === 0) return before;
  const after: Data = { ...before };
  const entries: Data = isPlainObject(before[section]) ? { ...before[section] } : {};
  for (const server of servers) entries[server.name] = format.entry(server);
  after[section] = entries;
  const inputs = servers.flatMap((server) => format.input?.(server) ?? []);
  if (inputs.length > 0) {
    const list = Array.isArray(before.inputs) ? [...(before.inputs as unknown[])] : [];
    for (const input of inputs) {
      const at = list.findIndex((item) => isPlainObject(item) && item.id === input.id);
      if (at < 0) list.push(input);
      else list[at] = input;
    }
    after.inputs = list;
  }
  return after;
}

/** Each server's change against the old data. */
export function changesOf(before: Data, format: HostFormat, servers: readonly HostServer[]): Map<string, EntryChange> {
  const old = before[sectionOf(format)];
  const entries = isPlainObject(old) ? old : {};
  const inputs = Array.isArray(before.inputs) ? (before.inputs as unknown[]) : [];
  return new Map(
    servers.map((server) => {
      if (!Object.hasOwn(entries, server.name)) return [server.name, 'added'];
      const input = format.input?.(server);
      const inputKept = !input || inputs.some((item) => sameData(item, input));
      return [server.name, inputKept && sameData(entries[server.name], format.entry(server)) ? 'unchanged' : 'replaced'];
    }),
  );
}

/** The servers as a hint may show them: a key is never in a message, only a placeholder for it. */
export function withoutKeys(servers: readonly HostServer[]): HostServer[] {
  return servers.map((server) => (server.key === undefined ? server : { ...server, key: `<the API_KEY of ${server.name}>` }));
}

/**
 * The last guard: the merged text, parsed, must be exactly what was meant. A layout the text
 * edits did not foresee fails here rather than reaching the host.
 */
export function assertMerged(path: string, parsedAfter: unknown, expected: Data, entryText: () => string): void {
  if (sameData(parsedAfter, expected)) return;
  throw usageError(
    `${path}: mcp-fleet cannot merge into this file's layout without changing other entries; the file is unchanged`,
    `Add the entry by hand:\n${entryText()}`,
  );
}

/**
 * Whether two parsed documents hold the same data. Parsers differ in the prototypes they give
 * (TOML and YAML tables have none), so the comparison is of structure and values alone; key order
 * does not matter, list order does.
 */
export function sameData(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(canonical(a), canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value instanceof Date) return { date: value.toISOString() };
  if (typeof value === 'bigint') return { bigint: value.toString() };
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort())
    Object.defineProperty(out, key, { value: canonical((value as Data)[key]), enumerable: true });
  return out;
}

/** `path:line:column: what` for a syntax error of the existing file: the fix is the user's, nothing was written. */
export function syntaxError(path: string, line: number, column: number, what: string) {
  return usageError(`${path}:${line}:${column}: ${what}`, 'Fix the file (or give another path); mcp-fleet changed nothing.');
}

/** A section that is not a map of servers, at its line. */
export function sectionShapeError(path: string, line: number, column: number, section: string, found: string) {
  return usageError(
    `${path}:${line}:${column}: "${section}" is ${found}, not a map of servers by name`,
    'Fix the file (or give another path); mcp-fleet changed nothing.',
  );
}

/** The line break a file uses (CRLF when its first line break is one). */
export function eolOf(text: string): string {
  const at = text.indexOf('\n');
  return at > 0 && text[at - 1] === '\r' ? '\r\n' : '\n';
}

/** The text with CRLF line breaks when the file has them. */
export function withEol(text: string, eol: string): string {
  return eol === '\n' ? text : text.replace(/\r?\n/g, eol);
}

/** `block` appended on lines of its own; with `blankLine`, after a blank line when the file has content. */
export function appendBlock(text: string, block: string, eol: string, blankLine: boolean): string {
  if (text.trim() === '') return text + block;
  const ended = text.endsWith('\n') ? text : text + eol;
  return `${ended}${blankLine && !ended.endsWith(`${eol}${eol}`) ? eol : ''}${block}`;
}
