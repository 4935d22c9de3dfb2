import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { envSectionFor } from '../../src/ops/project/client-section.js';
import type { FailureJson, ListJson } from '../../src/ui/json/index.js';
import { repoRoot, runCli, tempDir } from '../helpers/cli.js';
import { snapshotDir } from '../helpers/snapshot.js';
import { scaffoldTemplateProject } from '../helpers/template.js';

/**
 * Hostile and careless wrangler.jsonc files (hostile names, reserved names, edits, malformed files): each is refused
 * with exit 2 and a message naming the file and line, and leaves every file as it was, or is
 * edited without touching a byte outside the edited env section.
 */

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup()));
});

interface Project {
  /** A temp directory holding the project and whatever a test puts beside it. */
  root: string;
  dir: string;
  configPath: string;
}

/** A scaffolded project (no node_modules) whose wrangler.jsonc is `config`. */
async function projectWith(config: string): Promise<Project> {
  const { dir: root, cleanup } = await tempDir('mcp-fleet-trust-config-');
  cleanups.push(cleanup);
  const dir = join(root, 'project');
  await scaffoldTemplateProject(dir, 'fleet');
  const configPath = join(dir, 'wrangler.jsonc');
  await writeFile(configPath, config);
  return { root, dir, configPath };
}

/** 1-based number of the first line of `text` containing `needle`. */
function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  expect(index, `${needle} is in the text`).toBeGreaterThanOrEqual(0);
  return index + 1;
}

const fixture = (name: string) => readFile(join(repoRoot, 'test', 'fixtures', 'config', name), 'utf8');

/** Runs a command that must be refused: exit 2, no "this is a bug", every file under `root` as it was. */
async function expectRefused(project: Project, args: string[]): Promise<string> {
  const before = await snapshotDir(project.root);
  const result = await runCli(args, { cwd: project.dir });
  expect(result.exitCode, result.stderr).toBe(2);
  expect(result.stderr).not.toMatch(/this is a bug|unexpected error/i);
  expect(await snapshotDir(project.root)).toEqual(before);
  return result.stderr;
}

const VICTIM_KEY = 'victim-key-that-lives-outside-the-project';

describe('env names are validated wherever the config is loaded', () => {
  const hostile = 'x/../../outside/victim';
  const config = `{\n  "name": "fleet",\n  "main": "src/index.ts",\n  "env": {\n    "${hostile}": { "name": "victim" }\n  }\n}\n`;

  async function withVictim(): Promise<Project> {
    const project = await projectWith(config);
    await mkdir(join(project.root, 'outside'));
    await writeFile(join(project.root, 'outside', 'victim'), `API_KEY=${VICTIM_KEY}\nUPSTREAM_TOKEN=t\n`, { mode: 0o600 });
    return project;
  }

  test('an env name with ../ is refused with exit 2 naming the env and its line; list reads no file outside the project', async () => {
    const project = await withVictim();
    const before = await snapshotDir(project.root);
    const result = await runCli(['list', '--json'], { cwd: project.dir });
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toContain(`${project.configPath}:5:`);
    expect(result.stderr).toContain(`env "${hostile}"`);
    expect(JSON.parse(result.stdout) as FailureJson).toMatchObject({ ok: false, error: { exitCode: 2 } });
    expect(result.stdout + result.stderr).not.toContain(VICTIM_KEY);
    expect(await snapshotDir(project.root)).toEqual(before);
  });

  test('remove of an env named with ../ is refused and moves no file', async () => {
    const project = await withVictim();
    const stderr = await expectRefused(project, ['remove', hostile]);
    expect(stderr).toContain(`env "${hostile}"`);
  });

  test('verify --url for an env named with ../ sends no key anywhere', async () => {
    const project = await withVictim();
    const seen: string[] = [];
    const server = createServer((request, response) => {
      seen.push(request.headers.authorization ?? '');
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const stderr = await expectRefused(project, ['verify', hostile, '--url', `${hostile}=http://127.0.0.1:${port}`, '--timeout', '2']);
      expect(stderr).toContain(`env "${hostile}"`);
      expect(seen.filter((header) => header.includes(VICTIM_KEY))).toEqual([]);
    } finally {
      server.close();
    }
  });

  test('a worker name that is not a Cloudflare script name is refused with its line', async () => {
    const project = await projectWith('{\n  "name": "fleet",\n  "env": {\n    "acme": { "name": "evil.example/x#" }\n  }\n}\n');
    const stderr = await expectRefused(project, ['list']);
    expect(stderr).toContain(`${project.configPath}:4:`);
    expect(stderr).toContain('worker name "evil.example/x#"');
  });
});

describe('names that collide with the tool’s own files are reserved', () => {
  const plain = '{\n  "name": "fleet",\n  "main": "src/index.ts",\n  "env": {}\n}\n';

  test('add template (even with --force) is refused with exit 2 and the committed .secrets.template stays as it was', async () => {
    const project = await projectWith(plain);
    // --force is what replaces an existing secrets file, and here the one it would replace is the template.
    const stderr = await expectRefused(project, ['add', 'template', '--force', '--set', 'UPSTREAM_TOKEN=a-real-upstream-token-value']);
    expect(stderr).toContain('"template" is reserved');
    expect(stderr).toContain('.secrets.template');
    expect(stderr).not.toContain('a-real-upstream-token-value');
  });

  test('an env named template in wrangler.jsonc is refused by list, naming the env and its line', async () => {
    const project = await projectWith('{\n  "name": "fleet",\n  "env": {\n    "template": { "name": "template" }\n  }\n}\n');
    const stderr = await expectRefused(project, ['list']);
    expect(stderr).toContain(`${project.configPath}:4:`);
    expect(stderr).toContain('env "template" is reserved');
  });

  test('a client whose dataset is already bound by the top-level worker is refused', async () => {
    const config = `{\n  "name": "fleet",\n  "analytics_engine_datasets": [{ "binding": "ANALYTICS", "dataset": "harbor_metrics" }],\n  "env": {}\n}\n`;
    const project = await projectWith(config);
    const stderr = await expectRefused(project, ['add', 'harbor']);
    expect(stderr).toContain('dataset harbor_metrics is already bound by the top-level worker');
  });
});

/** `text` with `client`'s section as add writes it after line `line`, and a comma after that line's value. */
function withAddedAfter(text: string, line: number, client: string): string {
  const lines = text.split('\n');
  const current = lines[line - 1] ?? '';
  const comment = current.search(/ *\/\//);
  lines[line - 1] = comment < 0 ? `${current},` : `${current.slice(0, comment)},${current.slice(comment)}`;
  const section = `"${client}": ${JSON.stringify(envSectionFor(client), null, 2)}`.split('\n').map((l) => `    ${l}`);
  lines.splice(line, 0, ...section);
  return lines.join('\n');
}

function withoutLines(text: string, from: number, to: number): string {
  const lines = text.split('\n');
  lines.splice(from - 1, to - from + 1);
  return lines.join('\n');
}

describe('add and remove change nothing outside the edited env section', () => {
  test('add and remove keep every comment before, inside and after expanded sections, byte for byte', async () => {
    const original = await fixture('expanded-with-comments.jsonc');
    const project = await projectWith(original);
    const run = async (...args: string[]) => {
      const result = await runCli([...args, '--yes'], { cwd: project.dir });
      expect(result.exitCode, result.stderr).toBe(0);
      return readFile(project.configPath, 'utf8');
    };
    expect(await run('add', 'delta')).toBe(withAddedAfter(original, 24, 'delta'));
    expect(await run('remove', 'delta', '--keep-worker')).toBe(original);
    // alpha owns lines 7-12: its leading comment, its lines and its trailing comment; bravo's comments stay.
    expect(await run('remove', 'alpha', '--keep-worker')).toBe(withoutLines(original, 7, 12));
  });

  test('add and remove next to compact one-line sections leave the neighbours and their trailing comments alone', async () => {
    const original = await fixture('compact-with-comments.jsonc');
    const project = await projectWith(original);
    const run = async (...args: string[]) => {
      const result = await runCli([...args, '--yes'], { cwd: project.dir });
      expect(result.exitCode, result.stderr).toBe(0);
      return readFile(project.configPath, 'utf8');
    };
    const added = await run('add', 'delta');
    expect(added).toBe(withAddedAfter(original, 6, 'delta'));
    expect(added).toContain(`"charlie": {"name":"charlie","vars":{"CLIENT_ID":"charlie"}}, // charlie's note\n`);
    expect(await run('remove', 'delta', '--keep-worker')).toBe(original);
    expect(await run('remove', 'alpha', '--keep-worker')).toBe(withoutLines(original, 4, 4));
  });
});

describe('a malformed or unusual wrangler.jsonc', () => {
  test('duplicate env keys are refused with exit 2 naming both lines; remove changes nothing', async () => {
    const config = `{\n  "name": "fleet",\n  "env": {\n    "dup": { "name": "dup" },\n    "other": { "name": "other" },\n    "dup": { "name": "dup" }\n  }\n}\n`;
    const project = await projectWith(config);
    const stderr = await expectRefused(project, ['remove', 'dup']);
    expect(stderr).toContain(`${project.configPath}:6:`);
    expect(stderr).toContain('env "dup" is written twice, on lines 4 and 6');
  });

  test('a byte order mark is accepted, and add and remove keep it and every other byte', async () => {
    const original = `\uFEFF${await fixture('compact-with-comments.jsonc')}`;
    const project = await projectWith(original);
    const list = await runCli(['list', '--json'], { cwd: project.dir });
    expect(list.exitCode, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as ListJson).map((client) => client.client)).toEqual(['alpha', 'bravo', 'charlie']);
    const added = await runCli(['add', 'delta', '--yes'], { cwd: project.dir });
    expect(added.exitCode, added.stderr).toBe(0);
    const bytes = await readFile(project.configPath);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8')).toBe(`\uFEFF${withAddedAfter(original.slice(1), 6, 'delta')}`);
    const removed = await runCli(['remove', 'delta', '--keep-worker', '--yes'], { cwd: project.dir });
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(await readFile(project.configPath, 'utf8')).toBe(original);
  });

  test('env.a: null is exit 2 with file, line and what was expected', async () => {
    const project = await projectWith('{\n  "name": "fleet",\n  "env": {\n    "a": null\n  }\n}\n');
    const stderr = await expectRefused(project, ['list']);
    expect(stderr).toContain(`${project.configPath}:4:`);
    expect(stderr).toContain('env.a should be an object');
    expect(stderr).toContain('not null');
  });

  test('analytics_engine_datasets: 5 is exit 2 with file, line and what was expected', async () => {
    const config =
      '{\n  "name": "fleet",\n  "env": {\n    "a": {\n      "name": "a",\n      "analytics_engine_datasets": 5\n    }\n  }\n}\n';
    const project = await projectWith(config);
    const stderr = await expectRefused(project, ['add', 'b']);
    expect(stderr).toContain(`${project.configPath}:6:`);
    expect(stderr).toContain('env.a.analytics_engine_datasets should be a list of');
    expect(stderr).toContain('not a number');
  });

  test('syntax errors are described in words, not parser jargon', async () => {
    const missingComma = '{\n  "name": "fleet"\n  "env": {}\n}\n';
    const project = await projectWith(missingComma);
    const stderr = await expectRefused(project, ['list']);
    expect(stderr).toContain(`${project.configPath}:${lineOf(missingComma, '"env"')}:3: expected "," between two entries`);
    expect(stderr).not.toMatch(/CommaExpected|InvalidSymbol/);

    await writeFile(project.configPath, "{\n  'name': 'fleet'\n}\n");
    const quoted = await expectRefused(project, ['list']);
    expect(quoted).toContain(`${project.configPath}:2:3: unexpected character "'"`);
    expect(quoted).not.toMatch(/InvalidSymbol|PropertyNameExpected/);
  });
});
