import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  addEnvSection,
  parseConfigText,
  removeEnvSection,
  removeEnvSectionKeeping,
  restoreEnvSection,
} from '../../src/config/wrangler-config.js';
import { repoRoot } from '../helpers/cli.js';

/** What remove keeps of an env section, and how restore puts it back (pure). */
const fixture = (name: string) => readFileSync(join(repoRoot, 'test', 'fixtures', 'config', name), 'utf8');
const FIXTURES = ['expanded-with-comments.jsonc', 'compact-with-comments.jsonc', 'trailing-commas.jsonc', 'one-line.jsonc'];

function envKeys(text: string): string[] {
  return Object.keys(parseConfigText(text, 'wrangler.jsonc').env ?? {});
}

describe('a removed env section comes back', () => {
  it('into the config as the removal left it: the file is again byte for byte what it was (every fixture, every section)', () => {
    for (const name of FIXTURES) {
      for (const text of [fixture(name), `\uFEFF${fixture(name)}`, fixture(name).replace(/\n/g, '\r\n')]) {
        for (const client of envKeys(text)) {
          const { text: after, removed } = removeEnvSectionKeeping(text, client);
          expect(after, `${name} ${client}`).toBe(removeEnvSection(text, client));
          expect(removed, `${name} ${client}`).toBeDefined();
          if (!removed) continue;
          expect(restoreEnvSection(after, client, removed), `${name} ${client}`).toEqual({ text, exact: true });
        }
      }
    }
  });

  it('into a config changed since: the section, its comment lines and every byte of it, as the last env section', () => {
    const text = fixture('expanded-with-comments.jsonc');
    const { text: after, removed } = removeEnvSectionKeeping(text, 'bravo');
    expect(removed?.source).toBe(
      '// bravo: a leading comment\n    /* bravo: a second leading line */\n    "bravo": {\n      "name": "bravo"\n    }',
    );
    const changed = addEnvSection(after, 'delta', { name: 'delta' });
    const restored = restoreEnvSection(changed, 'bravo', removed as NonNullable<typeof removed>);
    expect(restored.exact).toBe(false);
    expect(envKeys(restored.text)).toEqual(['alpha', 'charlie', 'delta', 'bravo']);
    expect(restored.text).toContain(`\n    ${removed?.source}`);
    expect(parseConfigText(restored.text, 'wrangler.jsonc').env?.bravo).toEqual({ name: 'bravo' });
    // Everything that was there stays, byte for byte, before the section.
    expect(restored.text.startsWith(changed.slice(0, changed.indexOf('"delta"')))).toBe(true);
  });

  it('into a one-line config changed since, on that line', () => {
    const text = fixture('one-line.jsonc');
    const { text: after, removed } = removeEnvSectionKeeping(text, 'alpha');
    const changed = after.replace('"harbor"', '"harbour"');
    const restored = restoreEnvSection(changed, 'alpha', removed as NonNullable<typeof removed>);
    expect(restored).toEqual({ text: '{"name":"harbour","env":{"bravo":{"name":"bravo"}, "alpha":{"name":"alpha"}}}\n', exact: false });
  });

  it('into a config whose env is gone or empty', () => {
    const text = '{\n  "name": "harbor",\n  "env": {\n    "alpha": { "name": "alpha" }\n  }\n}\n';
    const { text: after, removed } = removeEnvSectionKeeping(text, 'alpha');
    expect(after).toBe('{\n  "name": "harbor",\n  "env": {}\n}\n');
    const kept = removed as NonNullable<typeof removed>;
    const withoutEnv = '{\n  "name": "harbor2"\n}\n';
    expect(parseConfigText(restoreEnvSection(withoutEnv, 'alpha', kept).text, 'w').env).toEqual({ alpha: { name: 'alpha' } });
    const empty = '{\n  "name": "harbor2",\n  "env": {}\n}\n';
    expect(restoreEnvSection(empty, 'alpha', kept).text).toBe(
      '{\n  "name": "harbor2",\n  "env": {\n    "alpha": { "name": "alpha" }\n  }\n}\n',
    );
  });

  it('never over a section of the same name: exit 2', () => {
    const text = fixture('expanded-with-comments.jsonc');
    const { removed } = removeEnvSectionKeeping(text, 'bravo');
    expect(() => restoreEnvSection(text, 'bravo', removed as NonNullable<typeof removed>)).toThrow(
      expect.objectContaining({ exitCode: 2, message: 'wrangler.jsonc has an env.bravo already' }),
    );
  });
});
