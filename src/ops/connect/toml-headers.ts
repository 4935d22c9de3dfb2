/**
 * The table headers of a TOML document (`[a.b]`, `[[a.b]]`) with where their lines start and end,
 * found by a scan that skips strings, comments and multi-line arrays. Run only on text a TOML
 * parser has accepted, so it need not report errors: it must only never take text inside a value
 * for a header.
 */
export interface TomlHeader {
  /** Offset of the first character of the header's line. */
  lineStart: number;
  /** The key path; undefined when a segment uses an escape this scan does not decode. */
  path: string[] | undefined;
  array: boolean;
}

export function tomlHeaders(text: string): TomlHeader[] {
  const headers: TomlHeader[] = [];
  let at = 0;
  let depth = 0;
  let lineStart = 0;
  let atLineStart = true;
  while (at < text.length) {
    const char = text[at] as string;
    if (char === '\n') {
      at++;
      lineStart = at;
      atLineStart = true;
      continue;
    }
    if (char === ' ' || char === '\t' || char === '\r') {
      at++;
      continue;
    }
    if (atLineStart && depth === 0 && char === '[') {
      const header = readHeader(text, at);
      headers.push({ lineStart, path: header.path, array: header.array });
      at = header.end;
      atLineStart = false;
      continue;
    }
    atLineStart = false;
    if (char === '#') at = lineEnd(text, at);
    else if (char === '"' || char === "'") at = stringEnd(text, at);
    else {
      if (char === '[' || char === '{') depth++;
      else if (char === ']' || char === '}') depth--;
      at++;
    }
  }
  return headers;
}

function lineEnd(text: string, at: number): number {
  const end = text.indexOf('\n', at);
  return end < 0 ? text.length : end;
}

/** The offset after the string starting at `at` (basic, literal, or either multi-line). */
function stringEnd(text: string, at: number): number {
  const quote = text[at] as string;
  const triple = text.startsWith(quote.repeat(3), at);
  if (triple) {
    let i = at + 3;
    for (;;) {
      const close = text.indexOf(quote.repeat(3), i);
      if (close < 0) return text.length;
      if (quote === '"' && escaped(text, close)) {
        i = close + 1;
        continue;
      }
      // Up to two quotes may end the content right before the closing three.
      let end = close + 3;
      while (text[end] === quote && end < close + 5) end++;
      return end;
    }
  }
  for (let i = at + 1; i < text.length; i++) {
    if (text[i] === '\n') return i;
    if (quote === '"' && text[i] === '\\') {
      i++;
      continue;
    }
    if (text[i] === quote) return i + 1;
  }
  return text.length;
}

/** Whether the character at `at` follows an odd number of backslashes. */
function escaped(text: string, at: number): boolean {
  let count = 0;
  for (let i = at - 1; i >= 0 && text[i] === '\\'; i--) count++;
  return count % 2 === 1;
}

function readHeader(text: string, at: number): { path: string[] | undefined; array: boolean; end: number } {
  const array = text[at + 1] === '[';
  let i = at + (array ? 2 : 1);
  const path: string[] = [];
  let decodable = true;
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    const char = text[i];
    if (char === '"' || char === "'") {
      const end = stringEnd(text, i);
      const raw = text.slice(i, end);
      const value = char === "'" ? raw.slice(1, -1) : decodeBasic(raw);
      if (value === undefined) decodable = false;
      else path.push(value);
      i = end;
    } else {
      const bare = /^[A-Za-z0-9_-]+/.exec(text.slice(i))?.[0] ?? '';
      path.push(bare);
      i += bare.length;
    }
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === '.') {
      i++;
      continue;
    }
    break;
  }
  return { path: decodable ? path : undefined, array, end: lineEnd(text, i) };
}

/** A TOML basic string's value; undefined for an escape JSON does not share (\e, \x, \U): the caller then leaves it be. */
function decodeBasic(raw: string): string | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
