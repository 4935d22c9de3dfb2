import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { snapshotDir } from '../helpers/snapshot.js';
import { scaffoldTemplateProject } from '../helpers/template.js';

/**
 * wrangler.jsonc files that parse, but trap a tool that trusts them: a key written twice inside a
 * client's section (wrangler silently takes the second, an edit by path changes the first), and
 * values nested thousands deep (every recursive walk of the tree runs out of stack). Each is
 * refused by every command with exit 2 naming the file and line, and no file changes.
 */

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup()));
});

async function projectWith(config: string): Promise<{ root: string; dir: string; configPath: string }> {
  const { dir: root, cleanup } = await tempDir('mcp-fleet-config-traps-');
  cleanups.push(cleanup);
  const dir = join(root, 'project');
  await scaffoldTemplateProject(dir, 'fleet');
  const configPath = join(dir, 'wrangler.jsonc');
  await writeFile(configPath, config);
  return { root, dir, configPath };
}

/** Every command here must refuse: exit 2, not "a bug", and every file under the project's parent as it was. */
async function expectRefusedByAll(project: { root: string; dir: string }, commands: string[][]): Promise<string[]> {
  const before = await snapshotDir(project.root);
  const messages: string[] = [];
  for (const args of commands) {
    const result = await runCli(args, { cwd: project.dir, env: { UPSTREAM_TOKEN: 'an-upstream-token-for-the-test' } });
    expect(result.exitCode, `${args.join(' ')}: ${result.stderr}`).toBe(2);
    expect(result.stderr).not.toMatch(/this is a bug|unexpected error|Maximum call stack/i);
    messages.push(result.stderr);
  }
  expect(await snapshotDir(project.root)).toEqual(before);
  return messages;
}

describe('a key written twice inside an env section', () => {
  // The second vars has no CLIENT_ID, so wrangler deploys acme without one; upgrade-config used to
  // add CLIENT_ID to the first (which wrangler ignores), report "added", and do it again on every run.
  const config = `{
  "name": "fleet",
  "main": "src/index.ts",
  "env": {
    "acme": {
      "name": "acme",
      "vars": { "CLIENT_ID": "acme" },
      "analytics_engine_datasets": [{ "binding": "ANALYTICS", "dataset": "acme_metrics" }],
      "vars": { "UPSTREAM_URL": "https://upstream.example" }
    }
  }
}
`;

  test('is refused by every command with exit 2 naming the file, both lines and the key; upgrade-config adds nothing', async () => {
    const project = await projectWith(config);
    const messages = await expectRefusedByAll(project, [
      ['upgrade-config', '--all'],
      ['list'],
      ['add', 'beta', '--from-env', '--yes'],
      ['remove', 'acme', '--yes'],
      ['deploy', '--all', '--plan'],
    ]);
    for (const stderr of messages) {
      expect(stderr).toContain(`${project.configPath}:9:7:`);
      expect(stderr).toContain('env.acme "vars" is written twice, on lines 7 and 9');
    }
  });

  test('a key written twice deeper inside a section (vars.CLIENT_ID) is refused the same way', async () => {
    const project = await projectWith(
      '{\n  "name": "fleet",\n  "env": {\n    "acme": {\n      "name": "acme",\n      "vars": {\n        "CLIENT_ID": "acme",\n        "CLIENT_ID": "beta"\n      }\n    }\n  }\n}\n',
    );
    const [stderr] = await expectRefusedByAll(project, [['list', '--json']]);
    expect(stderr).toContain(`${project.configPath}:8:9:`);
    expect(stderr).toContain('env.acme.vars "CLIENT_ID" is written twice, on lines 7 and 8');
  });
});

describe('a wrangler.jsonc nested 3,000 levels deep', () => {
  const deepLists = `${'['.repeat(3000)}${']'.repeat(3000)}`;
  const deepObjects = `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`;

  test.each([
    ['lists', deepLists],
    ['objects', deepObjects],
  ])('(%s) is exit 2 naming the file and line, for every command, not a stack overflow', async (_kind, deep) => {
    const project = await projectWith(`{\n  "name": "fleet",\n  "main": "src/index.ts",\n  "deep": ${deep},\n  "env": {}\n}\n`);
    const messages = await expectRefusedByAll(project, [
      ['list'],
      ['add', 'acme', '--from-env', '--yes'],
      ['upgrade-config', '--all'],
      ['deploy', '--all', '--plan'],
      ['--json', 'status', '--all', '--local'],
    ]);
    for (const stderr of messages) {
      expect(stderr).toContain(`${project.configPath}:4:`);
      expect(stderr).toContain('nest more than 64 levels deep');
    }
  });
});
