import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addEnvSection, parseConfigText, removeEnvSection } from '../../src/config/wrangler-config.js';
import { envSectionFor } from '../../src/ops/project/client-section.js';
import { repoRoot } from '../helpers/cli.js';

/**
 * Hand-written wrangler.jsonc files in the styles people keep them in. Their bytes are the point,
 * so the formatter leaves that directory alone (test/fixtures/wrangler/biome.json).
 */
const FIXTURE_DIR = join(repoRoot, 'test', 'fixtures', 'wrangler');
const FIXTURES = [
  ['trailing-line-comments.jsonc', "comments at the end of the top-level name's line and of an env section's opening line"],
  ['top-level-bindings.jsonc', 'a top-level analytics binding and compatibility date beside an env section with empty vars'],
  ['several-envs.jsonc', 'several env sections with vars, comments before, inside, between and after them, and around the file'],
  ['compact-and-expanded.jsonc', 'compact one-line env sections next to an expanded one'],
  ['one-line.jsonc', 'a whole config, env sections included, on one line'],
] as const;

/**
 * Asserts that `after` is `before` with one piece of text inserted and no other byte changed,
 * and returns that piece.
 */
function insertedInto(before: string, after: string): string {
  let start = 0;
  while (start < before.length && before[start] === after[start]) start++;
  const rest = before.slice(start);
  expect(after.length).toBeGreaterThan(before.length);
  expect(after.endsWith(rest), `everything after offset ${start} is kept`).toBe(true);
  return after.slice(start, after.length - rest.length);
}

function commentsOf(text: string): string[] {
  return [...(text.match(/\/\/.*$/gm) ?? []), ...(text.match(/\/\*[\s\S]*?\*\//g) ?? [])];
}

const base = `// top comment
{
  "name": "fleet", // trailing comment
  "main": "src/index.ts",
  /* block comment */
  "env": {
    // the first client
    "alpha": {"name":"alpha","vars":{"CLIENT_ID":"alpha"}},
    "beta": {
      "name": "beta" // keep me
    }
  }
}
`;

describe('wrangler.jsonc editing', () => {
  it('adds an env section and leaves every other byte as it was', () => {
    const next = addEnvSection(base, 'acme', envSectionFor('acme'));
    const config = parseConfigText(next, 'wrangler.jsonc');
    expect(config.env?.acme).toEqual({
      name: 'acme',
      analytics_engine_datasets: [{ binding: 'ANALYTICS', dataset: 'acme_metrics' }],
      ratelimits: [{ name: 'RATE_LIMITER', namespace_id: '1001', simple: { limit: 600, period: 60 } }],
      vars: { CLIENT_ID: 'acme', RATE_LIMIT: '600/60' },
      version_metadata: { binding: 'CF_VERSION_METADATA' },
    });
    // Removing the section again gives back the original text exactly.
    expect(removeEnvSection(next, 'acme')).toBe(base);
    // The edit is a single insertion after beta's section: every byte before and after it is as it was.
    const inserted = insertedInto(base, next);
    expect(inserted.startsWith(',')).toBe(true);
    expect(inserted).toContain('"acme": {');
    expect(next.indexOf(inserted)).toBeGreaterThan(next.indexOf('"name": "beta" // keep me'));
    expect(next).toContain('"alpha": {"name":"alpha","vars":{"CLIENT_ID":"alpha"}}');
    expect(next).toContain('// the first client');
    expect(next).toContain('"name": "beta" // keep me');
  });

  it('removes one env section and keeps the others with their comments', () => {
    const next = removeEnvSection(base, 'alpha');
    expect(next).not.toContain('"alpha"');
    expect(next).toContain('"name": "beta" // keep me');
    // Every comment but the one above alpha's section stays.
    for (const comment of commentsOf(base).filter((c) => c !== '// the first client')) expect(next).toContain(comment);
    expect(parseConfigText(next, 'w')).toEqual({ ...parseConfigText(base, 'w'), env: { beta: { name: 'beta' } } });
  });

  it('creates "env" when the file has none, using the file\'s indentation', () => {
    const text = '{\n    "name": "x"\n}\n';
    const next = addEnvSection(text, 'acme', { name: 'acme' });
    expect(next).toBe('{\n    "name": "x",\n    "env": {\n        "acme": {\n            "name": "acme"\n        }\n    }\n}\n');
  });

  it('names the file, line and column of a syntax error', () => {
    expect(() => parseConfigText('{\n  "name": "x",\n  "main" "y"\n}', '/p/wrangler.jsonc')).toThrow('/p/wrangler.jsonc:3:10');
  });

  it('checks kv_namespaces: a binding and an id, both strings; anything else is exit 2 naming the file and line', () => {
    const config = (entry: string) =>
      `{\n  "name": "x",\n  "env": {\n    "a": {\n      "kv_namespaces": [\n        ${entry}\n      ]\n    }\n  }\n}\n`;
    const good = parseConfigText(config('{ "binding": "OAUTH_KV", "id": "0123456789abcdef0123456789abcdef" }'), '/p/wrangler.jsonc');
    expect(good.env?.a?.kv_namespaces).toEqual([{ binding: 'OAUTH_KV', id: '0123456789abcdef0123456789abcdef' }]);
    const cases: [string, string][] = [
      ['{ "binding": "OAUTH_KV" }', 'env.a.kv_namespaces[0].id is missing'],
      ['{ "binding": 7, "id": "x" }', 'env.a.kv_namespaces[0].binding should be a string'],
      ['"OAUTH_KV"', 'env.a.kv_namespaces[0] should be an object like'],
    ];
    for (const [entry, message] of cases) {
      let thrown: unknown;
      try {
        parseConfigText(config(entry), '/p/wrangler.jsonc');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ exitCode: 2, message: expect.stringContaining(message) });
      expect((thrown as Error).message).toMatch(/^\/p\/wrangler\.jsonc:6:/);
    }
  });

  it('has a case below for every fixture file', () => {
    const files = readdirSync(FIXTURE_DIR).filter((name) => name.endsWith('.jsonc'));
    expect(files.toSorted()).toEqual(FIXTURES.map(([file]) => file).toSorted());
  });

  it.each(FIXTURES)('adds and removes an env section in %s (%s), byte for byte', (file) => {
    const text = readFileSync(join(FIXTURE_DIR, file), 'utf8');
    const original = parseConfigText(text, file);
    expect(Object.keys(original.env ?? {}).length).toBeGreaterThan(0);
    const next = addEnvSection(text, 'newclient', envSectionFor('newclient'));
    const { env, ...rest } = parseConfigText(next, file);
    expect(env?.newclient).toEqual(envSectionFor('newclient'));
    const { newclient: _added, ...others } = env ?? {};
    expect({ ...rest, env: others }).toEqual(original);
    // One insertion, no other byte touched; removing the section gives back the file exactly.
    expect(insertedInto(text, next)).toContain('"newclient": {');
    expect(removeEnvSection(next, 'newclient')).toBe(text);
    for (const comment of commentsOf(text)) expect(next).toContain(comment);
  });
});
