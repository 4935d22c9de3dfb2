import { describe, expect, it } from 'vitest';
import { entriesToMap, formatEntry, parseSecrets, updateSecretsText } from '../../src/secrets/dotfile.js';

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
});
