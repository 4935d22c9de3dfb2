import { parse, TomlError } from 'smol-toml';
import { usageError } from '../../util/errors.js';
import { documentText, type HostServer, tomlText } from './host-configs.js';
import {
  appendBlock,
  assertMerged,
  changesOf,
  eolOf,
  expectedData,
  isPlainObject,
  type MergeOutcome,
  type MergeRequest,
  sameData,
  sectionOf,
  syntaxError,
  withEol,
  withoutKeys,
} from './merge-config.js';
import { type TomlHeader, tomlHeaders } from './toml-headers.js';

/**
 * TOML host files (Codex's config.toml). A server is a `[<section>.<name>]` table: a new one is
 * appended at the end; an existing one (with its sub-tables) is replaced where it stands. Lines
 * of comments right above the next table stay with that table. Servers written another way
 * (dotted keys, an inline table) are not rewritten: the file stays as it is and the entry to add
 * by hand is shown.
 */
export function mergeToml(request: MergeRequest): MergeOutcome {
  const { path, format, servers } = request;
  const text = request.text ?? '';
  const section = sectionOf(format);
  const before = parseToml(path, text);
  const changes = changesOf(before, format, servers);
  const eol = eolOf(text);
  const byHand = () => documentText(format, withoutKeys(servers));
  const current = before[section];
  if (current !== undefined && !isPlainObject(current)) {
    throw usageError(`${path}: "${section}" is not a table of servers`, 'Fix the file (or give another path); mcp-fleet changed nothing.');
  }

  let merged = text;
  const added: HostServer[] = [];
  for (const server of servers) {
    const entry = format.entry(server);
    if (current === undefined || !Object.hasOwn(current, server.name)) {
      added.push(server);
      continue;
    }
    if (sameData(current[server.name], entry)) continue;
    const replaced = replaceTable(merged, [section, server.name], withEol(tableText(section, server.name, entry), eol));
    if (replaced === undefined) {
      throw usageError(
        `${path}: ${section}.${server.name} is written as dotted keys or an inline table, which mcp-fleet does not rewrite; the file is unchanged`,
        `Replace it by hand with:\n${tableText(section, server.name, format.entry(withoutKeys([server])[0] as HostServer))}`,
      );
    }
    merged = replaced;
  }
  for (const server of added) merged = appendBlock(merged, withEol(tableText(section, server.name, format.entry(server)), eol), eol, true);
  assertMerged(path, tomlData(merged), expectedData(before, format, servers), byHand);
  return { text: merged, changes };
}

function parseToml(path: string, text: string): Record<string, unknown> {
  try {
    return parse(text, { integersAsBigInt: 'asNeeded' });
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    // The parser's first line only: the rest quotes the file's lines, which may hold a secret.
    const [first = 'invalid TOML'] = error.message.split('\n');
    throw syntaxError(path, error.line, error.column, first.replace(/^Invalid TOML document:\s*/, ''));
  }
}

/** The merged text's data; undefined when it does not parse (a layout the edits did not foresee). */
function tomlData(text: string): unknown {
  try {
    return parse(text, { integersAsBigInt: 'asNeeded' });
  } catch {
    return undefined;
  }
}

/** `[section.name]` and its keys, every name and value quoted by the TOML writer. */
function tableText(section: string, name: string, entry: Record<string, unknown>): string {
  return tomlText({ [section]: { [name]: entry } });
}

/**
 * The text with the table at `path` and its sub-tables taken out and `replacement` put where the
 * table stood; undefined when no `[path]` header exists (the table is written another way).
 */
function replaceTable(text: string, path: readonly string[], replacement: string): string | undefined {
  const headers = tomlHeaders(text);
  const spans = headers
    .map((header, index) => ({ header, next: headers[index + 1] }))
    .filter(({ header }) => header.path !== undefined && startsWith(header.path, path));
  const own = spans.find(({ header }) => !header.array && header.path?.length === path.length);
  if (!own) return undefined;
  const ranges = spans.map(({ header, next }) => ({ start: header.lineStart, end: spanEnd(text, header, next) }));
  const first = ranges[0] as { start: number; end: number };
  let out = text;
  for (const range of ranges.toReversed()) {
    out = out.slice(0, range.start) + (range === first ? replacement : '') + out.slice(range.end);
  }
  return out;
}

function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.every((segment, index) => path[index] === segment);
}

/** Where a table's text ends: before the next header, less the blank and comment lines right above it. */
function spanEnd(text: string, header: TomlHeader, next: TomlHeader | undefined): number {
  let end = next ? next.lineStart : text.length;
  for (;;) {
    const previousStart = text.lastIndexOf('\n', end - 2) + 1;
    if (previousStart <= header.lineStart) return end;
    const line = text.slice(previousStart, end);
    if (!/^[ \t]*(#.*)?\r?\n?$/.test(line)) return end;
    end = previousStart;
  }
}
