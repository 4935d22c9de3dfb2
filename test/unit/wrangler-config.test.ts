import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addEnvSection, parseConfigText, removeEnvSection } from '../../src/config/wrangler-config.js';
import { envSectionFor } from '../../src/ops/add.js';
import { repoRoot } from '../helpers/cli.js';

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
      vars: { CLIENT_ID: 'acme' },
    });
    // Removing the section again gives back the original text exactly.
    expect(removeEnvSection(next, 'acme')).toBe(base);
    // Everything before the insertion point is byte-identical.
    const before = base.slice(0, base.lastIndexOf('}', base.lastIndexOf('}') - 1));
    expect(next.startsWith(before.slice(0, before.lastIndexOf('"name": "beta"')))).toBe(true);
    expect(next).toContain('"alpha": {"name":"alpha","vars":{"CLIENT_ID":"alpha"}}');
    expect(next).toContain('// the first client');
    expect(next).toContain('"name": "beta" // keep me');
  });

  it('removes one env section and keeps the others with their comments', () => {
    const next = removeEnvSection(base, 'alpha');
    expect(next).not.toContain('"alpha"');
    expect(next).toContain('"name": "beta" // keep me');
    expect(next).toContain('// top comment');
    expect(parseConfigText(next, 'w').env).toEqual({ beta: { name: 'beta' } });
  });

  it('creates "env" when the file has none, using the file\'s indentation', () => {
    const text = '{\n    "name": "x"\n}\n';
    const next = addEnvSection(text, 'acme', { name: 'acme' });
    expect(next).toBe('{\n    "name": "x",\n    "env": {\n        "acme": {\n            "name": "acme"\n        }\n    }\n}\n');
  });

  it('names the file, line and column of a syntax error', () => {
    expect(() => parseConfigText('{\n  "name": "x",\n  "main" "y"\n}', '/p/wrangler.jsonc')).toThrow('/p/wrangler.jsonc:3:10');
  });

  it("works on the seed project's own wrangler.jsonc examples", () => {
    const seeds = join(repoRoot, '..', 'shared', 'seeds');
    const seed = readdirSync(seeds).find((name) => name.startsWith('000_'));
    expect(seed, 'the seed document is beside the repository').toBeDefined();
    const blocks = [...readFileSync(join(seeds, seed as string), 'utf8').matchAll(/```jsonc\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    const configs = blocks.filter((block) => block.trimStart().startsWith('{') && block.includes('"name"') && block.includes('"env"'));
    expect(configs.length).toBeGreaterThan(0);
    for (const text of configs) {
      const next = addEnvSection(text, 'newclient', envSectionFor('newclient'));
      const parsed = parseConfigText(next, 'seed');
      expect(parsed.env?.newclient?.name).toBe('newclient');
      expect(removeEnvSection(next, 'newclient')).toBe(text);
      for (const comment of text.match(/\/\/.*$/gm) ?? []) expect(next).toContain(comment);
    }
  });
});
