import type { Node } from 'jsonc-parser';

/**
 * Adding and removing one property of a JSONC object by splicing text, so that no byte outside
 * that property changes. (jsonc-parser's `modify` reformats the neighbours of what it edits and
 * can move their comments.)
 *
 * A property here owns: the comment lines directly above it (no blank line between), its key and
 * value, its comma, and a comment after it on its last line. That is what goes when it is removed.
 */

interface Edit {
  start: number;
  end: number;
  text: string;
}

export interface Layout {
  /** One level of indentation: spaces or a tab. */
  indent: string;
  eol: string;
}

/** What lies between two properties of an object (blanks aside): commas, comments and line breaks. */
interface GapToken {
  kind: 'comma' | 'comment' | 'break' | 'other';
  start: number;
  end: number;
}

function scanGap(text: string, start: number, end: number): GapToken[] {
  const tokens: GapToken[] = [];
  let at = start;
  while (at < end) {
    const rest = text.slice(at, at + 2);
    let next = at + 1;
    let kind: GapToken['kind'] = 'other';
    if (text[at] === ',') kind = 'comma';
    else if (text[at] === '\n' || rest === '\r\n') {
      kind = 'break';
      next = at + (rest === '\r\n' ? 2 : 1);
    } else if (rest === '//') {
      kind = 'comment';
      const lineEnd = text.slice(at).search(/\r?\n/);
      next = lineEnd < 0 ? end : at + lineEnd;
    } else if (rest === '/*') {
      kind = 'comment';
      const close = text.indexOf('*/', at + 2);
      next = close < 0 ? end : close + 2;
    } else if (/\s/.test(text[at] ?? '')) {
      while (next < end && /[^\S\r\n]/.test(text[next] ?? '')) next++;
      at = next;
      continue;
    }
    tokens.push({ kind, start: at, end: Math.min(next, end) });
    at = next;
  }
  return tokens;
}

/** Offset of the first character of the line holding `offset`. */
export function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

export function indentOfLine(text: string, offset: number): string {
  return /^[ \t]*/.exec(text.slice(lineStart(text, offset)))?.[0] ?? '';
}

/** Whether only blanks stand before `offset` on its line. */
export function startsLine(text: string, offset: number): boolean {
  return /^[ \t]*$/.test(text.slice(lineStart(text, offset), offset));
}

function applyEdits(text: string, edits: Edit[]): string {
  return edits
    .toSorted((a, b) => b.start - a.start)
    .reduce((out, edit) => out.slice(0, edit.start) + edit.text + out.slice(edit.end), text);
}

/** Where the tokens after a property end: its comma, the end of its line (if only comments follow on it). */
interface After {
  comma: GapToken | undefined;
  /** Offset of the line break ending the property's last line, when nothing but comments follows on it. */
  lineBreak: GapToken | undefined;
}

function after(text: string, property: Node, gapEnd: number): After {
  let comma: GapToken | undefined;
  for (const token of scanGap(text, property.offset + property.length, gapEnd)) {
    if (token.kind === 'comma' && !comma) comma = token;
    else if (token.kind === 'break') return { comma, lineBreak: token };
    else if (token.kind !== 'comment') break;
  }
  return { comma, lineBreak: undefined };
}

/** Start of the comment lines directly above `offset` (a line start) that belong to what follows. */
function leadingCommentsStart(text: string, gapStart: number, offset: number): number {
  const tokens = scanGap(text, gapStart, offset);
  let start = offset;
  for (let i = tokens.length - 1; i >= 0; i--) {
    const token = tokens[i] as GapToken;
    if (token.kind === 'break' && token.end === start && tokens[i - 1]?.kind === 'comment') continue;
    if (token.kind !== 'comment' || !startsLine(text, token.start) || tokens[i + 1]?.end !== start) break;
    start = lineStart(text, token.start);
  }
  return start;
}

function closingBrace(object: Node): number {
  return object.offset + object.length - 1;
}

/** The text without `properties[index]` of `object` and what it owns (see above). */
export function removeProperty(text: string, object: Node, index: number): string {
  const properties = object.children ?? [];
  const property = properties[index];
  if (!property) return text;
  const previous = properties[index - 1];
  const next = properties[index + 1];
  const keyStart = property.offset;
  const valueEnd = property.offset + property.length;
  const { comma, lineBreak } = after(text, property, next ? next.offset : closingBrace(object));
  const gapStart = previous ? previous.offset + previous.length : object.offset + 1;
  const previousComma = scanGap(text, gapStart, keyStart).find((token) => token.kind === 'comma');
  const edits: Edit[] = [];
  // The comma before a last property goes with it, or the one before it would be left trailing.
  if (!comma && previousComma) edits.push({ start: previousComma.start, end: previousComma.end, text: '' });

  if (lineBreak && startsLine(text, keyStart)) {
    const start = leadingCommentsStart(text, previousComma?.end ?? gapStart, lineStart(text, keyStart));
    edits.push({ start, end: lineBreak.end, text: '' });
  } else if (comma) {
    const end = /^[ \t]*/.exec(text.slice(comma.end))?.[0].length ?? 0;
    edits.push({ start: keyStart, end: comma.end + end, text: '' });
  } else {
    const blanks = /[ \t]*$/.exec(text.slice(gapStart, keyStart))?.[0].length ?? 0;
    edits.push({ start: Math.max(keyStart - blanks, previousComma?.end ?? gapStart), end: valueEnd, text: '' });
  }
  const result = applyEdits(text, edits);
  // An object left with only blanks inside is written `{}`, as it was before its first property came.
  const removed = text.length - result.length;
  const open = object.offset + 1;
  const close = closingBrace(object) - removed;
  return /^\s*$/.test(result.slice(open, close)) ? result.slice(0, open) + result.slice(close) : result;
}

/** A property written in the expanded style, its inner lines indented from `indent`. */
function expanded(key: string, value: unknown, indent: string, layout: Layout): string {
  const json = JSON.stringify(value, null, layout.indent)
    .split('\n')
    .join(layout.eol + indent);
  return `${JSON.stringify(key)}: ${json}`;
}

/** The text with `key: value` added as the last property of `object`, in the style of its neighbours. */
export function appendProperty(text: string, object: Node, key: string, value: unknown, layout: Layout): string {
  return appendMember(
    text,
    object,
    { expanded: (indent, inner) => expanded(key, value, indent, inner), compact: `${JSON.stringify(key)}: ${JSON.stringify(value)}` },
    layout,
  );
}

/** A member to add: as written in the expanded style (its first line's indent aside), and on one line. */
interface NewMember {
  expanded: (indent: string, layout: Layout) => string;
  compact: string;
}

function appendMember(text: string, object: Node, member: NewMember, layout: Layout): string {
  const properties = object.children ?? [];
  const last = properties.at(-1);
  const close = closingBrace(object);
  const objectIndent = indentOfLine(text, object.offset);

  if (!last) {
    const memberIndent = objectIndent + layout.indent;
    const added = layout.eol + memberIndent + member.expanded(memberIndent, layout);
    // Right after the brace (and a comment on its line): a comment on a line of its own below
    // stays below the new property, so it is not taken for the property's own when that goes.
    const gap = scanGap(text, object.offset + 1, close);
    const firstOther = gap.findIndex((token) => token.kind !== 'comment');
    const onBraceLine = firstOther < 0 ? gap : gap.slice(0, firstOther);
    const anchor = onBraceLine.at(-1)?.end ?? object.offset + 1;
    if (/^[ \t]*$/.test(text.slice(anchor, close))) {
      return applyEdits(text, [{ start: anchor, end: close, text: added + layout.eol + objectIndent }]);
    }
    return applyEdits(text, [{ start: anchor, end: anchor, text: added }]);
  }

  const { comma, lineBreak } = after(text, last, close);
  const valueEnd = last.offset + last.length;
  if (!lineBreak) {
    // Everything up to the closing brace on one line: the new property joins that line.
    const edit = comma
      ? { start: comma.end, end: comma.end, text: ` ${member.compact},` }
      : { start: valueEnd, end: valueEnd, text: `, ${member.compact}` };
    return applyEdits(text, [edit]);
  }
  const memberIndent = startsLine(text, last.offset) ? indentOfLine(text, last.offset) : objectIndent + layout.indent;
  // The neighbours' own indentation step is a better guess than the file's first indented line.
  const step = memberIndent.startsWith(objectIndent) && memberIndent.length > objectIndent.length;
  const inner = { ...layout, indent: step ? memberIndent.slice(objectIndent.length) : layout.indent };
  const added = layout.eol + memberIndent + member.expanded(memberIndent, inner) + (comma ? ',' : '');
  const withMember = applyEdits(text, [{ start: lineBreak.start, end: lineBreak.start, text: added }]);
  // The comma goes right after the last value (before the member when they meet), so a comment
  // at the end of the last property's line stays on that line.
  return comma ? withMember : applyEdits(withMember, [{ start: valueEnd, end: valueEnd, text: ',' }]);
}

/**
 * `properties[index]` of `object` as written: from the comment lines it owns (see above) through
 * the end of its value, without the indentation of its first line. `property` is the same
 * without those comments.
 */
export function propertySource(text: string, object: Node, index: number): { source: string; property: string } | undefined {
  const properties = object.children ?? [];
  const property = properties[index];
  if (!property) return undefined;
  const previous = properties[index - 1];
  const keyStart = property.offset;
  const valueEnd = property.offset + property.length;
  let start = keyStart;
  if (startsLine(text, keyStart)) {
    const gapStart = previous ? previous.offset + previous.length : object.offset + 1;
    const previousComma = scanGap(text, gapStart, keyStart).find((token) => token.kind === 'comma');
    const first = leadingCommentsStart(text, previousComma?.end ?? gapStart, lineStart(text, keyStart));
    start = first + indentOfLine(text, first).length;
  }
  return { source: text.slice(start, valueEnd), property: text.slice(keyStart, valueEnd) };
}

/**
 * The text with a property added, as last of `object`, exactly as `propertySource` gave it: every
 * byte of it is kept (its first line is indented like the neighbours'); on a one-line object only
 * the property goes in, without its comment lines.
 */
export function appendPropertySource(text: string, object: Node, written: { source: string; property: string }, layout: Layout): string {
  return appendMember(text, object, { expanded: () => written.source, compact: written.property }, layout);
}
