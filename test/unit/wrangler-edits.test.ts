import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addEnvSection, parseConfigText, removeEnvSection, type WranglerEnv } from '../../src/config/wrangler-config.js';
import { repoRoot } from '../helpers/cli.js';

/**
 * Hand-written configs whose bytes are the point (the formatter leaves test/fixtures/config alone).
 * Expectations name the lines a section owns as an editor numbers them: its comment lines
 * directly above it, its own lines, and a comment at the end of its last line.
 */
const fixture = (name: string) => readFileSync(join(repoRoot, 'test', 'fixtures', 'config', name), 'utf8');

const delta: WranglerEnv = { name: 'delta', vars: { CLIENT_ID: 'delta' } };
const deltaLines = ['"delta": {', '  "name": "delta",', '  "vars": {', '    "CLIENT_ID": "delta"', '  }', '}'];

/** `text` without lines `from`..`to` (1-based, inclusive). */
function withoutLines(text: string, from: number, to: number): string {
  const lines = text.split('\n');
  lines.splice(from - 1, to - from + 1);
  return lines.join('\n');
}

/** `text` with the last comma before any comment on line `line` taken out. */
function withoutCommaOn(text: string, line: number): string {
  const lines = text.split('\n');
  const current = lines[line - 1] ?? '';
  const comment = current.search(/\/\/|\/\*/);
  const code = comment < 0 ? current : current.slice(0, comment);
  const comma = code.lastIndexOf(',');
  expect(comma, `line ${line} has a comma`).toBeGreaterThanOrEqual(0);
  lines[line - 1] = current.slice(0, comma) + current.slice(comma + 1);
  return lines.join('\n');
}

/** `text` with `inserted` lines (indented by `indent`) after line `line`, and a comma put after that line's value. */
function withSectionAfter(text: string, line: number, indent: string, options: { comma: 'add' | 'keep' } = { comma: 'add' }): string {
  const lines = text.split('\n');
  const current = lines[line - 1] ?? '';
  if (options.comma === 'add') {
    const comment = current.search(/ *(\/\/|\/\*)/);
    lines[line - 1] = comment < 0 ? `${current},` : `${current.slice(0, comment)},${current.slice(comment)}`;
  }
  const section = deltaLines.map((l) => indent + l);
  if (options.comma === 'keep') section[section.length - 1] += ',';
  lines.splice(line, 0, ...section);
  return lines.join('\n');
}

function envOf(text: string): Record<string, WranglerEnv> {
  return parseConfigText(text, 'wrangler.jsonc').env ?? {};
}

describe('edits keep every comment: expanded sections with comments before, inside and after them', () => {
  const text = fixture('expanded-with-comments.jsonc');

  it('removing the first section keeps the next section’s leading comments', () => {
    expect(removeEnvSection(text, 'alpha')).toBe(withoutLines(text, 7, 12));
  });

  it('removing a middle section takes its own leading comments, not a comment set apart by a blank line', () => {
    expect(removeEnvSection(text, 'bravo')).toBe(withoutLines(text, 13, 17));
  });

  it('removing the last section takes the comma before it and leaves the comment after it', () => {
    expect(removeEnvSection(text, 'charlie')).toBe(withoutCommaOn(withoutLines(text, 21, 24), 17));
  });

  it('adding puts the new section after the last one and before the comment that follows it', () => {
    const next = addEnvSection(text, 'delta', delta);
    expect(next).toBe(withSectionAfter(text, 24, '    '));
    expect(removeEnvSection(next, 'delta')).toBe(text);
  });
});

describe('edits keep every comment: compact one-line sections with trailing comments', () => {
  const text = fixture('compact-with-comments.jsonc');

  it.each([
    ['alpha', 4],
    ['bravo', 5],
  ])('removing %s leaves its neighbours and their trailing comments byte for byte', (client, line) => {
    expect(removeEnvSection(text, client)).toBe(withoutLines(text, line, line));
  });

  it('removing the last compact section keeps the previous one on one line with its own comment', () => {
    expect(removeEnvSection(text, 'charlie')).toBe(withoutCommaOn(withoutLines(text, 6, 6), 5));
  });

  it('adding after a compact section keeps it compact and its trailing comment on its line', () => {
    const next = addEnvSection(text, 'delta', delta);
    expect(next).toBe(withSectionAfter(text, 6, '    '));
    expect(next).toContain('"charlie": {"name":"charlie","vars":{"CLIENT_ID":"charlie"}}, // charlie\'s note\n');
    expect(removeEnvSection(next, 'delta')).toBe(text);
  });
});

describe('edits keep every other byte: trailing commas, one-line configs, empty envs, tabs and CRLF', () => {
  it('with trailing commas, the new section gets one and removal leaves the others’ commas alone', () => {
    const text = fixture('trailing-commas.jsonc');
    expect(removeEnvSection(text, 'bravo')).toBe(withoutLines(text, 5, 5));
    expect(removeEnvSection(text, 'alpha')).toBe(withoutLines(text, 4, 4));
    const next = addEnvSection(text, 'delta', delta);
    expect(next).toBe(withSectionAfter(text, 5, '    ', { comma: 'keep' }));
    expect(removeEnvSection(next, 'delta')).toBe(text);
  });

  it('a config on one line is edited on that line only', () => {
    const text = fixture('one-line.jsonc');
    expect(removeEnvSection(text, 'alpha')).toBe('{"name":"harbor","env":{"bravo":{"name":"bravo"}}}\n');
    expect(removeEnvSection(text, 'bravo')).toBe('{"name":"harbor","env":{"alpha":{"name":"alpha"}}}\n');
    const next = addEnvSection(text, 'delta', delta);
    expect(next).toBe(
      '{"name":"harbor","env":{"alpha":{"name":"alpha"},"bravo":{"name":"bravo"}, "delta": {"name":"delta","vars":{"CLIENT_ID":"delta"}}}}\n',
    );
    expect(removeEnvSection(next, 'delta')).toBe(text);
  });

  it('removing the only section gives back the empty "env": {} it was added to', () => {
    const text = '{\n  // the fleet\n  "name": "harbor",\n  "env": {}\n}\n';
    const next = addEnvSection(text, 'delta', delta);
    expect(next).toBe(`{\n  // the fleet\n  "name": "harbor",\n  "env": {\n${deltaLines.map((l) => `    ${l}`).join('\n')}\n  }\n}\n`);
    expect(removeEnvSection(next, 'delta')).toBe(text);
  });

  it('in an empty env holding only comments, the first section goes above them and they outlive its removal', () => {
    const text = '{\n  "env": { // one per client\n    // clients go here\n  }\n}\n';
    const next = addEnvSection(text, 'delta', delta);
    const section = deltaLines.map((l) => `    ${l}`).join('\n');
    expect(next).toBe(`{\n  "env": { // one per client\n${section}\n    // clients go here\n  }\n}\n`);
    expect(removeEnvSection(next, 'delta')).toBe(text);
  });

  it('tabs and CRLF line endings are kept, and the new section uses them', () => {
    const text = fixture('expanded-with-comments.jsonc').replace(/ {2}/g, '\t').replace(/\n/g, '\r\n');
    const next = addEnvSection(text, 'delta', delta);
    expect(next.replace(/\r\n/g, '')).not.toContain('\n');
    expect(next).toContain('\t\t"delta": {\r\n\t\t\t"name": "delta",\r\n');
    expect(removeEnvSection(next, 'delta')).toBe(text);
    expect(removeEnvSection(text, 'alpha')).toBe(withoutLines(text.replace(/\r\n/g, '\n'), 7, 12).replace(/\n/g, '\r\n'));
  });

  it('every fixture round-trips: adding then removing a section gives back the file byte for byte', () => {
    for (const name of ['expanded-with-comments.jsonc', 'compact-with-comments.jsonc', 'trailing-commas.jsonc', 'one-line.jsonc']) {
      const text = fixture(name);
      const next = addEnvSection(text, 'delta', delta);
      expect(envOf(next).delta, name).toEqual(delta);
      expect(removeEnvSection(next, 'delta'), name).toBe(text);
    }
  });
});

describe('a byte order mark', () => {
  const text = `\uFEFF${fixture('compact-with-comments.jsonc')}`;

  it('is accepted and kept, byte for byte, by add and remove', () => {
    expect(Object.keys(envOf(text))).toEqual(['alpha', 'bravo', 'charlie']);
    const added = addEnvSection(text, 'delta', delta);
    expect(added).toBe(`\uFEFF${withSectionAfter(text.slice(1), 6, '    ')}`);
    expect(removeEnvSection(text, 'alpha')).toBe(`\uFEFF${withoutLines(text.slice(1), 4, 4)}`);
  });
});
