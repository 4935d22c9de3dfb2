import {
  createScanner,
  findNodeAtLocation,
  getNodeValue,
  type JSONPath,
  type Node,
  type ParseError,
  parseTree,
  printParseErrorCode,
  type SyntaxKind,
} from 'jsonc-parser';
import { usageError } from '../util/errors.js';

const BOM = '\uFEFF';

/**
 * A parsed JSONC file. Offsets in `root` are offsets into `body`: a byte order mark (which
 * wrangler accepts and the parser does not) is set aside in `bom` and put back by every edit.
 */
export interface JsoncDocument {
  path: string;
  bom: string;
  body: string;
  root: Node;
  value: unknown;
}

/** What each parser error code means, in words a person editing the file would use. */
const SYNTAX_ERRORS: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected ":" after the property name',
  CommaExpected: 'expected "," between two entries (or a closing bracket is missing)',
  CloseBraceExpected: 'expected "}" to close the object',
  CloseBracketExpected: 'expected "]" to close the list',
  EndOfFileExpected: 'unexpected text after the end of the top-level object',
  InvalidCommentToken: 'malformed comment',
  UnexpectedEndOfComment: 'a /* comment is never closed',
  UnexpectedEndOfString: 'a string is never closed',
  UnexpectedEndOfNumber: 'a number ends too early',
  InvalidUnicode: 'malformed \\u escape in a string',
  InvalidEscapeCharacter: 'invalid escape sequence in a string',
  InvalidCharacter: 'a control character inside a string (write it as an escape, e.g. \\n)',
};

/** 1-based line and column of an offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return { line, column };
}

/** `path:line:column` of an offset into the document's body, as editors and terminals link it. */
export function positionOf(doc: Pick<JsoncDocument, 'path' | 'body'>, offset: number): string {
  const { line, column } = lineAndColumn(doc.body, offset);
  return `${doc.path}:${line}:${column}`;
}

function describeSyntaxError(body: string, error: ParseError): string {
  const code = printParseErrorCode(error.error);
  const words = SYNTAX_ERRORS[code] ?? 'syntax error';
  // One visible character helps find the spot and cannot carry a secret value.
  const found = body[error.offset] ?? '';
  return code === 'InvalidSymbol' && /^[!-~]$/.test(found) ? `${words} "${found}"` : words;
}

/**
 * How deep objects and lists may nest. A wrangler config needs a handful of levels; the parser and
 * every walk of the tree recurse, and a file nested thousands deep would exhaust the stack in the
 * middle of one. So the depth is measured first, by a scanner that does not recurse.
 */
export const MAX_NESTING = 64;

/** jsonc-parser's SyntaxKind values: its types declare a const enum, which this build cannot import as a value. */
const Token = { openBrace: 1, closeBrace: 2, openBracket: 3, closeBracket: 4, eof: 17 } as const satisfies Record<string, SyntaxKind>;

/** Offset of the bracket that opens level MAX_NESTING + 1, if the text nests that deep. */
function tooDeepAt(body: string): number | undefined {
  const scanner = createScanner(body, true);
  let depth = 0;
  for (let token: number = scanner.scan(); token !== Token.eof; token = scanner.scan()) {
    if (token === Token.openBrace || token === Token.openBracket) {
      depth++;
      if (depth > MAX_NESTING) return scanner.getTokenOffset();
    } else if (token === Token.closeBrace || token === Token.closeBracket) {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}

/** Parses JSONC (comments and trailing commas allowed); a syntax error names the file, line and column. */
export function parseJsonc(text: string, path: string): JsoncDocument {
  const bom = text.startsWith(BOM) ? BOM : '';
  const body = text.slice(bom.length);
  const deep = tooDeepAt(body);
  if (deep !== undefined) {
    throw usageError(
      `${positionOf({ path, body }, deep)}: objects and lists nest more than ${MAX_NESTING} levels deep here; a wrangler config needs a handful`,
      'Flatten or remove the deeply nested value; mcp-fleet changed nothing.',
    );
  }
  const errors: ParseError[] = [];
  const root = parseTree(body, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first) {
    throw usageError(
      `${positionOf({ path, body }, first.offset)}: ${describeSyntaxError(body, first)}`,
      'Fix the syntax error; mcp-fleet changed nothing.',
    );
  }
  if (!root) throw usageError(`${path} is empty: it should hold the wrangler config, an object`);
  return { path, bom, body, root, value: getNodeValue(root) };
}

/** The node at a path (for a property path: its value), or undefined. */
export function nodeAt(doc: JsoncDocument, path: JSONPath): Node | undefined {
  return findNodeAtLocation(doc.root, path);
}

/** What kind of JSON value a node holds, as an error message says it ("found a number"). */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'boolean') return `${value}`;
  if (typeof value === 'number') return 'a number';
  return 'a string';
}

/** `env.acme.vars`, or `env["x/y"]` for keys that are not plain words. */
export function displayPath(path: JSONPath): string {
  return path
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`;
      if (/^[A-Za-z_][\w-]*$/.test(segment)) return index === 0 ? segment : `.${segment}`;
      return `[${JSON.stringify(segment)}]`;
    })
    .join('');
}
