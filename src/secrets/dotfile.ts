import { usageError } from '../util/errors.js';

/**
 * The secrets file format: `KEY=VALUE` lines, `#` comment lines and blank lines.
 *
 * - A value runs from the first `=` to the end of the line, byte for byte: `=`, `#`, spaces,
 *   quotes inside and `$` are all literal (nothing is expanded, no inline comments).
 * - A value that starts with `"` is double-quoted: `\\`, `\"` and `\n` are escapes, and the
 *   quotes may span lines (a literal newline is kept). A value that starts with `'` is
 *   single-quoted: literal, on one line.
 * - Anything else (no `=`, a bad key, an unterminated quote, text after a closing quote,
 *   a key given twice) is an error naming the file and line; nothing is ever skipped.
 * - Errors name the file, the line and (when it is one) the key, never the text of the line: a
 *   malformed line is often a pasted value, and the message reaches terminals, logs and --json.
 */
export interface SecretsEntry {
  key: string;
  value: string;
  /** 1-based line where the entry starts. */
  line: number;
  /** 1-based line where it ends (a double-quoted value can span lines). */
  endLine: number;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isValidKey(key: string): boolean {
  return KEY.test(key);
}

function fail(file: string, line: number, message: string): never {
  throw usageError(`${file}:${line}: ${message}`, 'Secrets files hold KEY=VALUE lines; quote values with newlines as KEY="line1\\nline2".');
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A secrets file's bytes as text, strictly: bytes that are not UTF-8 are bad input naming the line
 * (and key), never replaced by U+FFFD, so a value is sent, and a file rewritten, byte for byte or
 * not at all. A byte-order mark is kept in the text (updateSecretsText writes it back).
 */
export function decodeSecretsBytes(bytes: Uint8Array, file: string): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw notUtf8(bytes, file);
  }
}

function notUtf8(bytes: Uint8Array, file: string): Error {
  let start = 0;
  for (let lineNo = 1; start <= bytes.length; lineNo++) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    const line = bytes.subarray(start, end);
    try {
      UTF8.decode(line);
    } catch {
      // The key (ASCII by the format's rules) is named when the line has one; the value never is.
      const eq = line.indexOf(0x3d);
      const key =
        eq > 0
          ? Buffer.from(line.subarray(0, eq))
              .toString('latin1')
              .trim()
              .replace(/^export\s+/, '')
          : '';
      const what = KEY.test(key) ? `the value of ${key}` : 'this line';
      return usageError(
        `${file}:${lineNo}: ${what} is not valid UTF-8 text (the line is not shown: it may hold a value)`,
        `mcp-fleet sends and rewrites secrets files byte for byte, never re-encoded, so it uses nothing from this one. Save ${file} as UTF-8; a binary value needs an encoding of its own (base64 or hex) that the worker decodes.`,
      );
    }
    if (newline === -1) break;
    start = newline + 1;
  }
  // The whole file failed but no line did: only a sequence cut by a line break does that, and a newline byte never continues one.
  return usageError(`${file}: not valid UTF-8 text`);
}

export function parseSecrets(text: string, file: string): SecretsEntry[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  // A trailing newline yields one empty last element, which is not a line of the file.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const entries: SecretsEntry[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const lineNo = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const eq = raw.indexOf('=');
    if (eq === -1) fail(file, lineNo, `expected KEY=VALUE, found no "=" (the line is not shown: it may hold a value)`);
    const key = raw
      .slice(0, eq)
      .trim()
      .replace(/^export\s+/, '');
    if (!KEY.test(key)) {
      fail(
        file,
        lineNo,
        'the text before "=" is not a valid key (letters, digits and _; not starting with a digit); the line is not shown: it may hold a value',
      );
    }
    const previous = seen.get(key);
    if (previous !== undefined) fail(file, lineNo, `${key} is already set on line ${previous}`);
    const rest = raw.slice(eq + 1);
    let value: string;
    if (rest.startsWith('"')) {
      const parsed = readDoubleQuoted(lines, i, eq + 2, file, key);
      value = parsed.value;
      i = parsed.endLine;
    } else if (rest.startsWith("'")) {
      const close = rest.indexOf("'", 1);
      if (close === -1) fail(file, lineNo, `unterminated single quote in the value of ${key}`);
      if (rest.slice(close + 1).trim() !== '') fail(file, lineNo, `unexpected text after the closing quote of ${key}`);
      value = rest.slice(1, close);
    } else {
      value = rest;
    }
    seen.set(key, lineNo);
    entries.push({ key, value, line: lineNo, endLine: i + 1 });
  }
  return entries;
}

function readDoubleQuoted(
  lines: string[],
  startLine: number,
  startCol: number,
  file: string,
  key: string,
): { value: string; endLine: number } {
  let value = '';
  for (let lineIndex = startLine; lineIndex < lines.length; lineIndex++) {
    const line = lines[lineIndex] ?? '';
    let col = lineIndex === startLine ? startCol : 0;
    while (col < line.length) {
      const ch = line[col];
      if (ch === '\\') {
        const next = line[col + 1];
        if (next === 'n') value += '\n';
        else if (next === 'r') value += '\r';
        else if (next === '\\' || next === '"') value += next;
        else fail(file, lineIndex + 1, `unknown escape at column ${col + 1} in the quoted value of ${key} (use \\\\, \\", \\n or \\r)`);
        col += 2;
        continue;
      }
      if (ch === '"') {
        if (line.slice(col + 1).trim() !== '') fail(file, lineIndex + 1, `unexpected text after the closing quote of ${key}`);
        return { value, endLine: lineIndex };
      }
      value += ch;
      col++;
    }
    value += '\n';
  }
  fail(file, startLine + 1, `unterminated double quote in the value of ${key} (it runs to the end of the file)`);
}

/** Whether a value can be written bare and read back unchanged. */
function needsQuotes(value: string): boolean {
  return /[\n\r]/.test(value) || value.startsWith('"') || value.startsWith("'");
}

export function formatValue(value: string): string {
  if (!needsQuotes(value)) return value;
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

export function formatEntry(key: string, value: string): string {
  return `${key}=${formatValue(value)}`;
}

/** The line ending a file uses: that of its first line (a file without one gets LF). */
export function lineEnding(text: string): '\r\n' | '\n' {
  const first = text.indexOf('\n');
  return first > 0 && text[first - 1] === '\r' ? '\r\n' : '\n';
}

/**
 * Replaces the values of existing keys in a secrets file's text, appends new keys and removes
 * the keys mapped to null, keeping every comment, blank line, untouched entry, line ending and
 * byte-order mark as it was (a file edited on Windows stays CRLF). The result ends with a newline.
 */
export function updateSecretsText(text: string, file: string, values: ReadonlyMap<string, string | null>): string {
  const entries = parseSecrets(text, file);
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  const body = text.slice(bom.length);
  const eol = lineEnding(body);
  // Each line with its own terminator, in the same numbering as parseSecrets (which splits on \r?\n).
  const lines: string[] = [...(body.match(/[^\n]*\n|[^\n]+$/g) ?? [])];
  const last = lines.length - 1;
  if (last >= 0 && !(lines[last] as string).endsWith('\n')) lines[last] = `${lines[last]}${eol}`;
  const remaining = new Map(values);
  // Walk entries from last to first so earlier line numbers stay valid while splicing.
  for (const entry of [...entries].reverse()) {
    if (!remaining.has(entry.key)) continue;
    const value = remaining.get(entry.key);
    const ending = (lines[entry.endLine - 1] ?? '').endsWith('\r\n') ? '\r\n' : '\n';
    lines.splice(
      entry.line - 1,
      entry.endLine - entry.line + 1,
      ...(value === null || value === undefined ? [] : [`${formatEntry(entry.key, value)}${ending}`]),
    );
    remaining.delete(entry.key);
  }
  for (const [key, value] of remaining) if (value !== null) lines.push(`${formatEntry(key, value)}${eol}`);
  return `${bom}${lines.join('')}`;
}

export function entriesToMap(entries: readonly SecretsEntry[]): Map<string, string> {
  return new Map(entries.map((entry) => [entry.key, entry.value]));
}
