import { describe, expect, it } from 'vitest';
import { decodeSecretsBytes, entriesToMap, formatEntry, parseSecrets, updateSecretsText } from '../../src/secrets/dotfile.js';

const roundTrip = (values: Record<string, string>) => {
  const text = `${Object.entries(values)
    .map(([k, v]) => formatEntry(k, v))
    .join('\n')}\n`;
  return Object.fromEntries(entriesToMap(parseSecrets(text, 'f')));
};

describe('secrets file parser', () => {
  it('reads KEY=VALUE lines, comments and blank lines', () => {
    const entries = parseSecrets('# comment\n\nA=1\n  # indented comment\nB=two words\n', '.secrets.acme');
    expect(entries.map((e) => [e.key, e.value, e.line])).toEqual([
      ['A', '1', 3],
      ['B', 'two words', 5],
    ]);
  });

  it('keeps =, #, quotes inside, spaces and $ literally in bare values', () => {
    const [entry] = parseSecrets('K=a=b #not a comment $HOME it\'s "x"  \n', 'f');
    expect(entry?.value).toBe('a=b #not a comment $HOME it\'s "x"  ');
  });

  it('reads double-quoted values with escapes and literal newlines', () => {
    const values = entriesToMap(parseSecrets('A="x\\ny\\"z\\\\"\nB="line1\nline2"\nC=\'$raw "q"\'\n', 'f'));
    expect(values.get('A')).toBe('x\ny"z\\');
    expect(values.get('B')).toBe('line1\nline2');
    expect(values.get('C')).toBe('$raw "q"');
  });

  it.each([
    ['NOEQUALS', 1, 'no "="'],
    ['A=1\n1BAD=2', 2, 'not a valid key'],
    ['A=1\nA=2', 2, 'already set on line 1'],
    ['A="open\nstill open', 1, 'unterminated double quote'],
    ["A='open", 1, 'unterminated single quote'],
    ['A="x" trailing', 1, 'after the closing quote'],
    ['A="\\q"', 1, 'unknown escape'],
  ])('rejects %j naming the file and line', (text, line, reason) => {
    expect(() => parseSecrets(text, '.secrets.acme')).toThrow(`.secrets.acme:${line}: `);
    expect(() => parseSecrets(text, '.secrets.acme')).toThrow(reason);
  });

  it('error messages never contain the value', () => {
    try {
      parseSecrets('A="s3cr3t-value', '.secrets.acme');
      expect.unreachable();
    } catch (error) {
      expect(String(error)).not.toContain('s3cr3t');
    }
  });

  it('write then read returns the same values exactly', () => {
    const values = {
      PLAIN: 'abc',
      EMPTY: '',
      EQUALS: 'a=b==',
      HASH: '#starts with hash',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text is the point: nothing is expanded
      DOLLAR: '$HOME ${X} $(cmd)',
      SPACES: '  padded  ',
      DQ: '"quoted"',
      SQ: "'single'",
      NL: 'line1\nline2\n',
      CRLF: 'a\r\nb',
      BACKSLASH: 'C:\\path\\n',
      UNICODE: 'clé✓',
    };
    expect(roundTrip(values)).toEqual(values);
  });

  it('removes the keys mapped to null, multi-line values included', () => {
    const text = '# header\nA=1\nB="multi\nline"\nC=3\n';
    expect(
      updateSecretsText(
        text,
        'f',
        new Map<string, string | null>([
          ['B', null],
          ['Z', null],
        ]),
      ),
    ).toBe('# header\nA=1\nC=3\n');
  });

  it('updates values in place, keeping comments and other entries', () => {
    const text = '# header\nA=1\n\n# about B\nB="multi\nline"\nC=3\n';
    const next = updateSecretsText(
      text,
      'f',
      new Map([
        ['B', 'new'],
        ['D', 'added'],
      ]),
    );
    expect(next).toBe('# header\nA=1\n\n# about B\nB=new\nC=3\nD=added\n');
  });

  it('keeps CRLF line endings (and a byte-order mark) when updating a file', () => {
    const text = '\uFEFF# header\r\nA=1\r\n\r\nB="multi\r\nline"\r\nC=3\r\n';
    const next = updateSecretsText(
      text,
      'f',
      new Map<string, string | null>([
        ['A', 'one'],
        ['B', null],
        ['D', 'added'],
      ]),
    );
    expect(next).toBe('\uFEFF# header\r\nA=one\r\n\r\nC=3\r\nD=added\r\n');
    expect(Object.fromEntries(entriesToMap(parseSecrets(next, 'f')))).toEqual({ A: 'one', C: '3', D: 'added' });
  });

  it("untouched lines keep their own endings in a mixed file; a missing final newline is added in the file's style", () => {
    expect(updateSecretsText('A=1\r\nB=2\nC=3', 'f', new Map([['C', 'x']]))).toBe('A=1\r\nB=2\nC=x\r\n');
    expect(updateSecretsText('A=1\nB=2\r\n', 'f', new Map([['B', 'x']]))).toBe('A=1\nB=x\r\n');
  });

  it.each([
    ['a pasted token with "=" padding', 'API_KEY=ok\ndGhpcyBp-cyBhIHNlY3JldCB0b2tlbg==\n', 2, 'not a valid key'],
    ['a pasted token without "="', 'sk_live_pasted_token_value_123456\n', 1, 'no "="'],
    ['a "KEY VALUE" line', 'Bearer sk_live_pasted_token_value_123456=\n', 1, 'not a valid key'],
    ['an unknown escape', 'TOKEN="sk_live_pasted\\qtoken_value_123456"\n', 1, 'unknown escape at column'],
    ['text after a closing quote', 'TOKEN="sk_live" pasted_token_value_123456\n', 1, 'after the closing quote of TOKEN'],
  ])('%s is reported by file, line and key, never by its text', (_what, text, line, reason) => {
    let message = '';
    try {
      parseSecrets(text, '.secrets.acme');
      expect.unreachable();
    } catch (error) {
      message = `${String(error)} ${(error as { hint?: string }).hint ?? ''}`;
    }
    expect(message).toContain(`.secrets.acme:${line}: `);
    expect(message).toContain(reason);
    for (const fragment of ['dGhpcyBp', 'sk_live', 'pasted', 'token_value', 'Bearer']) expect(message).not.toContain(fragment);
  });

  it.each([
    [
      'a Latin-1 byte in a value',
      ['API_KEY=a-long-enough-key-value-1\n', 'UPSTREAM_TOKEN=caf', [0xe9], '-token-value\n'],
      2,
      'the value of UPSTREAM_TOKEN',
    ],
    ['a cut UTF-8 sequence at the end of a line', ['A=1\n# note\nTOKEN=abc', [0xc3], '\nB=2\n'], 3, 'the value of TOKEN'],
    ['a stray continuation byte in a comment', ['# caf', [0x80], '\nA=1\n'], 1, 'this line'],
    ['an export line', ['export TOKEN=', [0xff, 0xfe], 'x\n'], 1, 'the value of TOKEN'],
  ])('%s is refused by line and key (exit 2), never replaced by U+FFFD', (_what, parts, line, what) => {
    const bytes = Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part))));
    let error: unknown;
    try {
      decodeSecretsBytes(bytes, '.secrets.acme');
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ exitCode: 2 });
    const message = String((error as Error).message);
    expect(message).toMatch(new RegExp(`^\\.secrets\\.acme:${line}: ${what} is not valid UTF-8 text`));
    expect(message).not.toMatch(/caf|token-value|abc/);
  });

  it('valid UTF-8 decodes as it is, a byte-order mark and a literal U+FFFD included', () => {
    const text = '\uFEFFA=caf\u00e9 \uFFFD \u{1F511}\r\n';
    expect(decodeSecretsBytes(Buffer.from(text, 'utf8'), 'f')).toBe(text);
  });
});
