import {
  type Document,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  type Pair,
  parseAllDocuments,
  parseDocument,
  visit,
  type YAMLError,
} from 'yaml';
import { usageError } from '../../util/errors.js';
import { documentText, yamlText } from './host-configs.js';
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
  sectionShapeError,
  syntaxError,
  withEol,
  withoutKeys,
} from './merge-config.js';

/**
 * YAML host files (Goose's config.yaml, librechat.yaml). The changed entries are spliced into the
 * text at the section's indentation, in the file's own indentation and list style, so comments,
 * quoting and the order of everything else stay. A layout the splice does not handle (a flow
 * mapping, an empty section) goes through the yaml library's document model instead, which keeps
 * comments too; either way the result must parse to exactly the intended data.
 */
export function mergeYaml(request: MergeRequest): MergeOutcome {
  const { path, format, servers } = request;
  const text = request.text ?? '';
  const section = sectionOf(format);
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, uniqueKeys: true });
  if (documents.length > 1) throw usageError(`${path} holds ${documents.length} YAML documents; a host's configuration is one`);
  const [doc] = documents;
  const problem = doc?.errors[0];
  if (problem) {
    const [position] = problem.linePos ?? [{ line: 1, col: 1 }];
    throw syntaxError(path, position.line, position.col, describe(problem));
  }
  const before: unknown = doc?.toJS() ?? {};
  if (!isPlainObject(before)) throw sectionShapeError(path, 1, 1, '(the top level)', 'not a mapping');
  const expected = expectedData(before, format, servers);
  const changes = changesOf(before, format, servers);
  if (servers.length === 0) return { text, changes };

  let merged = doc
    ? splice(path, text, doc, lineCounter, section, request)
    : appendBlock(text, withEol(documentText(format, servers), eolOf(text)), eolOf(text), false);
  if (merged === undefined || !sameData(yamlData(merged), expected)) merged = viaDocument(text, section, request);
  assertMerged(path, yamlData(merged), expected, () => documentText(format, withoutKeys(servers)));
  return { text: merged, changes };
}

/** The text's data; undefined when it does not parse cleanly. */
function yamlData(text: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true });
  return doc.errors.length > 0 ? undefined : (doc.toJS() ?? {});
}

/** The parser's words without its position (given separately) or the quoted source lines (which may hold a secret). */
function describe(error: YAMLError): string {
  const [first = error.code] = error.message.split('\n');
  return first.replace(/ at line \d+, column \d+:?\s*$/, '');
}

interface Style {
  indent: number;
  indentSeq: boolean;
}

function splice(path: string, text: string, doc: Document, lines: LineCounter, section: string, request: MergeRequest): string | undefined {
  const { format, servers } = request;
  const eol = eolOf(text);
  const style = styleOf(doc, lines);
  const root = doc.contents;
  const column = (offset: number) => lines.linePos(offset).col - 1;
  const render = (value: Record<string, unknown>, indent: number) =>
    withEol(
      yamlText(value, style)
        .split('\n')
        .map((line) => (line === '' ? line : ' '.repeat(indent) + line))
        .join('\n'),
      eol,
    );
  const byName = Object.fromEntries(servers.map((s) => [s.name, format.entry(s)]));
  if (root === null) return appendBlock(text, render({ [section]: byName }, 0), eol, false);
  if (!isMap(root) || root.flow) return undefined;
  const sectionPair = root.items.find((pair) => keyIs(pair, section));
  if (!sectionPair) return appendBlock(text, render({ [section]: byName }, 0), eol, false);
  const entries = sectionPair.value;
  if (!isMap(entries)) {
    if (entries === null || (isScalar(entries) && entries.value === null)) return undefined;
    const at = lines.linePos(rangeOf(entries)?.[0] ?? 0);
    throw sectionShapeError(path, at.line, at.col, section, isSeq(entries) ? 'a list' : 'a single value');
  }
  if (entries.flow) return undefined;
  const firstKey = rangeOf(entries.items[0]?.key);
  const indent = firstKey ? column(firstKey[0]) : column(rangeOf(sectionPair.key)?.[0] ?? 0) + style.indent;

  const edits: Array<{ start: number; end: number; text: string }> = [];
  const added: Record<string, unknown> = {};
  for (const server of servers) {
    const pair = entries.items.find((item) => keyIs(item, server.name));
    if (!pair) {
      added[server.name] = format.entry(server);
      continue;
    }
    const start = rangeOf(pair.key)?.[0];
    const end = rangeOf(pair.value)?.[1];
    if (start === undefined || end === undefined) return undefined;
    const fresh = render({ [server.name]: format.entry(server) }, indent).slice(indent);
    edits.push({ start, end, text: text[end - 1] === '\n' ? fresh : fresh.replace(/\r?\n$/, '') });
  }
  if (Object.keys(added).length > 0) {
    const last = entries.items.at(-1) as Pair | undefined;
    const lastEnd = rangeOf(last?.value)?.[1];
    if (lastEnd === undefined) return undefined;
    const lineEnd = text[lastEnd - 1] === '\n' ? lastEnd : text.indexOf('\n', lastEnd) + 1;
    const block = render(added, indent);
    edits.push(lineEnd === 0 ? { start: text.length, end: text.length, text: eol + block } : { start: lineEnd, end: lineEnd, text: block });
  }
  return edits
    .toSorted((a, b) => b.start - a.start)
    .reduce((out, edit) => out.slice(0, edit.start) + edit.text + out.slice(edit.end), text);
}

/** Where a node is in the text: [start, end of its value, end with trailing comments]. */
function rangeOf(node: unknown): readonly [number, number, number] | undefined {
  return isNode(node) ? (node.range ?? undefined) : undefined;
}

function keyIs(pair: Pair, name: string): boolean {
  return isScalar(pair.key) && pair.key.value === name;
}

/** The file's indentation step and whether its block lists are indented under their key (serde-style files are not). */
function styleOf(doc: Document, lines: LineCounter): Style {
  let indent: number | undefined;
  let indentSeq: boolean | undefined;
  visit(doc, {
    Pair(_, pair) {
      const keyRange = rangeOf(pair.key);
      if (!keyRange) return;
      const keyColumn = lines.linePos(keyRange[0]).col;
      const value = pair.value;
      if (indent === undefined && isMap(value) && !value.flow) {
        const childRange = rangeOf(value.items[0]?.key);
        const childColumn = childRange ? lines.linePos(childRange[0]).col : keyColumn;
        if (childColumn > keyColumn) indent = childColumn - keyColumn;
      }
      if (indentSeq === undefined && isSeq(value) && !value.flow && value.range) indentSeq = lines.linePos(value.range[0]).col > keyColumn;
    },
  });
  return { indent: indent ?? 2, indentSeq: indentSeq ?? true };
}

/** The yaml library's document model: keeps comments, may re-indent; for layouts the splice leaves alone. */
function viaDocument(text: string, section: string, request: MergeRequest): string {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.contents === null) doc.contents = doc.createNode({}) as never;
  // An empty section (`extensions:` alone) is null to the model: it becomes a mapping first.
  if (!isMap(doc.get(section, true))) doc.set(section, doc.createNode({}));
  for (const server of request.servers) doc.setIn([section, server.name], doc.createNode(request.format.entry(server)));
  return doc.toString({ lineWidth: 0 });
}
