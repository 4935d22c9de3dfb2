import { describe, expect, test } from 'vitest';
import { MAX_NESTING, parseJsonc } from '../../src/config/jsonc-document.js';
import { parseConfigText } from '../../src/config/wrangler-config.js';

/** The nesting cap comes before any recursive walk, and counts only real brackets. */
describe('nesting depth of a wrangler config', () => {
  const nested = (levels: number) => `{"deep": ${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;

  test(`${MAX_NESTING} levels parse; one more is exit 2 naming the file, line and column`, () => {
    expect(() => parseJsonc(nested(MAX_NESTING), 'w.jsonc')).not.toThrow();
    let error: unknown;
    try {
      parseJsonc(`\n${nested(MAX_NESTING + 1)}`, 'w.jsonc');
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ exitCode: 2, message: expect.stringMatching(/^w\.jsonc:2:\d+: objects and lists nest more than 64/) });
  });

  test('brackets inside strings and comments do not count', () => {
    const text = `{\n  // ${'['.repeat(500)}\n  /* ${'{'.repeat(500)} */\n  "name": "${'['.repeat(500)}"\n}\n`;
    expect(parseConfigText(text, 'w.jsonc').name).toBe('['.repeat(500));
  });

  test('100,000 levels are refused as quickly, without a stack overflow', () => {
    expect(() => parseJsonc('['.repeat(100_000), 'w.jsonc')).toThrow(/nest more than 64 levels/);
  });
});

describe('keys written twice', () => {
  test.each([
    ['inside an env section', '{"env": {"a": {"name": "a",\n"name": "b"}}}', 'env.a "name" is written twice, on lines 1 and 2'],
    ['inside vars', '{"vars": {"X": 1,\n"X": 2}}', 'vars "X" is written twice'],
    ['in an object inside a list', '{"routes": [{"pattern": "a",\n"pattern": "b"}]}', 'routes[0] "pattern" is written twice'],
  ])('%s are refused, naming where', (_where, text, message) => {
    expect(() => parseConfigText(text, 'w.jsonc')).toThrow(message);
  });

  test('the same key in two different objects is fine', () => {
    expect(() => parseConfigText('{"env": {"a": {"name": "a"}, "b": {"name": "b"}}}', 'w.jsonc')).not.toThrow();
  });
});
