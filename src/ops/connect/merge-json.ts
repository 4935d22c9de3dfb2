import {
  createScanner,
  findNodeAtLocation,
  getNodeValue,
  type Node,
  type ParseError,
  parseTree,
  printParseErrorCode,
  type SyntaxKind,
} from 'jsonc-parser';
import { kindOf, lineAndColumn, parseJsonc } from '../../config/jsonc-document.js';
import { appendProperty, indentOfLine, type Layout, startsLine } from '../../config/member-edits.js';
import { documentText } from './host-configs.js';
import {
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
  withoutKeys,
} from './merge-config.js';

/** jsonc-parser's token kinds (a const enum, which this build cannot read at run time). */
const TOKEN = {
  comma: 5 as SyntaxKind,
  lineComment: 12 as SyntaxKind,
  blockComment: 13 as SyntaxKind,
  lineBreak: 14 as SyntaxKind,
  blank: 15 as SyntaxKind,
  end: 17 as SyntaxKind,
};

/**
 * JSON and JSONC host files (Cursor, VS Code, Claude Code and Desktop, Windsurf, Gemini CLI, Zed):
 * comments, trailing commas and the layout of everything else are kept, because only the text of
 * the entries that change is spliced (jsonc-parser locates them; its `modify` would reformat the
 * neighbours).
 */
export function mergeJson(request: MergeRequest): MergeOutcome {
  const { path, format, servers } = request;
  const text = request.text ?? '';
  const section = sectionOf(format);
  if (onlyComments(text)) {
    if (servers.length === 0) return { text, changes: new Map() };
    // Nothing but blanks and comments (or no file yet): the document goes after them.
    const fresh = documentText(format, servers);
    return {
      text: text.trim() === '' ? fresh : `${text}${text.endsWith('\n') ? '' : eolOf(text)}${fresh}`,
      changes: changesOf({}, format, servers),
    };
  }
  const doc = parseJsonc(text, path);
  const at = (node: Node) => lineAndColumn(doc.body, node.offset);
  if (doc.root.type !== 'object') {
    const { line, column } = at(doc.root);
    throw sectionShapeError(path, line, column, '(the top level)', kindOf(doc.value));
  }
  const before = doc.value as Record<string, unknown>;
  const changes = changesOf(before, format, servers);
  const layout = layoutOf(doc.body);
  let body = doc.body;
  const root = () => parseTree(body, [], { allowTrailingComma: true }) as Node;

  for (const server of servers) {
    const entry = format.entry(server);
    const sectionNode = findNodeAtLocation(root(), [section]);
    if (!sectionNode) {
      body = appendProperty(body, root(), section, { [server.name]: entry }, layout);
    } else if (sectionNode.type !== 'object') {
      const { line, column } = lineAndColumn(body, sectionNode.offset);
      throw sectionShapeError(path, line, column, section, kindOf(getNodeValue(sectionNode)));
    } else {
      const properties = (sectionNode.children ?? []).filter((p) => p.children?.[0]?.value === server.name);
      const [first, second] = properties;
      if (second) {
        const { line, column } = lineAndColumn(body, second.offset);
        throw sectionShapeError(path, line, column, `${section}.${server.name}`, 'given twice');
      }
      const value = first?.children?.[1];
      if (!first || !value) body = appendProperty(body, sectionNode, server.name, entry, layout);
      else if (!sameData(getNodeValue(value), entry)) body = replaceValue(body, sectionNode, first, value, entry, layout);
    }
    body = mergeInput(path, body, root(), format.input?.(server), layout);
  }
  assertMerged(path, jsonData(body), expectedData(before, format, servers), () => documentText(format, withoutKeys(servers)));
  return { text: doc.bom + body, changes };
}

function mergeInput(path: string, body: string, root: Node, input: Record<string, unknown> | undefined, layout: Layout): string {
  if (!input) return body;
  const inputs = findNodeAtLocation(root, ['inputs']);
  if (!inputs) return appendProperty(body, root, 'inputs', [input], layout);
  if (inputs.type !== 'array') {
    const { line, column } = lineAndColumn(body, inputs.offset);
    throw sectionShapeError(path, line, column, 'inputs', kindOf(getNodeValue(inputs)));
  }
  const same = (inputs.children ?? []).find((item) => {
    const value: unknown = getNodeValue(item);
    return isPlainObject(value) && value.id === input.id;
  });
  if (!same) return appendElement(body, inputs, input, layout);
  return sameData(getNodeValue(same), input) ? body : replaceValue(body, inputs, same, same, input, layout);
}

/** The value of `property` (a member of `parent`) rewritten; one-line parents keep one line. */
function replaceValue(text: string, parent: Node, property: Node, value: Node, replacement: unknown, layout: Layout): string {
  const oneLine = !text.slice(parent.offset, parent.offset + parent.length).includes('\n');
  const indent = indentOfLine(text, property.offset);
  const json = oneLine ? JSON.stringify(replacement) : expanded(replacement, indent, layout);
  return text.slice(0, value.offset) + json + text.slice(value.offset + value.length);
}

/** `value` appended to the JSON array `array`, in the style of its elements (one line, or one per line). */
function appendElement(text: string, array: Node, value: unknown, layout: Layout): string {
  const items = array.children ?? [];
  const close = array.offset + array.length - 1;
  const arrayIndent = indentOfLine(text, array.offset);
  const last = items.at(-1);
  if (!last) {
    const itemIndent = arrayIndent + layout.indent;
    const item = `${layout.eol}${itemIndent}${expanded(value, itemIndent, layout)}`;
    const inside = text.slice(array.offset + 1, close);
    return /^\s*$/.test(inside)
      ? `${text.slice(0, array.offset + 1)}${item}${layout.eol}${arrayIndent}${text.slice(close)}`
      : `${text.slice(0, array.offset + 1)}${item}${text.slice(array.offset + 1)}`;
  }
  const lastEnd = last.offset + last.length;
  const gap = gapAfter(text, lastEnd, close);
  if (gap.lineBreak === undefined) {
    const compact = JSON.stringify(value);
    return gap.comma === undefined
      ? `${text.slice(0, lastEnd)}, ${compact}${text.slice(lastEnd)}`
      : `${text.slice(0, gap.comma + 1)} ${compact},${text.slice(gap.comma + 1)}`;
  }
  const itemIndent = startsLine(text, last.offset) ? indentOfLine(text, last.offset) : arrayIndent + layout.indent;
  const item = `${layout.eol}${itemIndent}${expanded(value, itemIndent, layout)}${gap.comma === undefined ? '' : ','}`;
  // The comma goes right after the last element, so a comment at the end of its line stays there.
  const withItem = `${text.slice(0, gap.lineBreak)}${item}${text.slice(gap.lineBreak)}`;
  return gap.comma === undefined ? `${withItem.slice(0, lastEnd)},${withItem.slice(lastEnd)}` : withItem;
}

/** After a value: the offset of a comma, and of the line break ending its line when only comments come first. */
function gapAfter(text: string, start: number, end: number): { comma: number | undefined; lineBreak: number | undefined } {
  const scanner = createScanner(text.slice(start, end), false);
  let comma: number | undefined;
  for (let kind = scanner.scan(); kind !== TOKEN.end; kind = scanner.scan()) {
    if (kind === TOKEN.comma && comma === undefined) comma = start + scanner.getTokenOffset();
    else if (kind === TOKEN.lineBreak) return { comma, lineBreak: start + scanner.getTokenOffset() };
    else if (kind !== TOKEN.blank && kind !== TOKEN.lineComment && kind !== TOKEN.blockComment) break;
  }
  return { comma, lineBreak: undefined };
}

function expanded(value: unknown, indent: string, layout: Layout): string {
  return JSON.stringify(value, null, layout.indent)
    .split('\n')
    .join(layout.eol + indent);
}

/** The file's indentation step (its first indented line's) and line break. */
function layoutOf(text: string): Layout {
  const indent = /\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
  return { indent, eol: eolOf(text) };
}

/** The merged text's data; undefined when it does not parse cleanly. */
function jsonData(text: string): unknown {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true });
  return root === undefined || errors.length > 0 ? undefined : getNodeValue(root);
}

/** Blank, or comments alone: the parser finds no value and complains of nothing else. */
function onlyComments(text: string): boolean {
  const body = text.replace(/^\uFEFF/, '');
  const errors: ParseError[] = [];
  const root = parseTree(body, errors, { allowTrailingComma: true });
  return root === undefined && errors.every((e) => printParseErrorCode(e.error) === 'ValueExpected' && e.offset === body.length);
}
