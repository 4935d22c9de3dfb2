import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSecrets } from '../../src/secrets/dotfile.js';
import { runCli, tempDir } from '../helpers/cli.js';

describe('mcp-fleet demo', () => {
  it('runs the whole loop on the local edge and ends with a passing fleet table', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const project = join(dir, 'demo');
      const result = await runCli(['demo', project], { timeout: 300_000 });
      expect(result.exitCode, result.stdout + result.stderr).toBe(0);
      const out = result.stdout;
      for (const step of [
        'scaffold a fleet project',
        'start the local edge',
        'add 3 clients',
        'deploy every client',
        'rotate acme',
        'stop the local edge',
      ]) {
        expect(out).toContain(step);
      }
      // The final table: every client passed all seven checks, acme's key was rotated.
      const table = out.slice(out.lastIndexOf('CLIENT'));
      expect(table).toMatch(/^CLIENT\s+URL\s+CHECKS\s+API_KEY\s+DEPLOY\s+VERIFY$/m);
      expect(table).toMatch(/^acme\s+http:\/\/acme\.localhost:\d+\s+7\/7 passed\s+rotated\s+[\d.]+s\s+[\d.]+s$/m);
      expect(table).toMatch(/^globex\s+http:\/\/globex\.localhost:\d+\s+7\/7 passed\s+-\s+/m);
      expect(table).toMatch(/^initech\s+http:\/\/initech\.localhost:\d+\s+7\/7 passed\s+-\s+/m);
      expect(out).toContain('demo passed');
      // Next steps name the way this mcp-fleet was run (`mcp-fleet`, or `node …/bin/mcp-fleet.js` from a checkout).
      expect(out).toMatch(/mcp-fleet(\.js)? deploy --all/);

      // The edge it started is gone, and no secret value was printed.
      expect(await readdir(join(project, '.mcp-fleet', 'local'))).not.toContain('edge.json');
      for (const client of ['acme', 'globex', 'initech']) {
        const path = join(project, `.secrets.${client}`);
        for (const entry of parseSecrets(await readFile(path, 'utf8'), path)) {
          expect(out + result.stderr).not.toContain(entry.value);
        }
      }
      // acme's previous key was backed up before the rotation.
      expect((await readdir(join(project, '.mcp-fleet', 'backups', 'acme'))).length).toBeGreaterThan(0);
    } finally {
      await cleanup();
    }
  });
});
