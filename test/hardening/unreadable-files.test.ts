import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { startEdge } from '../../src/local/edge.js';
import { binPath, type CliResult, runCli, tempDir } from '../helpers/cli.js';
import { scaffoldTemplateProject } from '../helpers/template.js';

/**
 * mcp-fleet run by a user who cannot read a file of the project (wrangler.jsonc, a secrets file,
 * edge.json): it says which file it cannot read and exits 2, instead of "unexpected error … bug"
 * or "edge.json is missing".
 *
 * The file is made 0000. That does not stop root (CI may run as root) while it holds the
 * capabilities that override file modes, so as root mcp-fleet runs through setpriv without them
 * (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH): still uid 0, able to reach the checkout wherever the
 * clone sits (a 0700 temp directory, in CI), but held to the file's mode like anyone else.
 * Either way the command really cannot read it.
 */

const asRoot = process.getuid?.() === 0;
const WITHOUT_DAC = ['--bounding-set=-dac_override,-dac_read_search', '--'];
const setprivWorks = asRoot && (await execa('setpriv', [...WITHOUT_DAC, 'true'], { reject: false }).catch(() => undefined))?.exitCode === 0;
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

/** A project with one client (and with `edge`, a local edge of its own), owned by the user the commands run as. */
async function project(options: { edge?: boolean } = {}): Promise<{ root: string; dir: string }> {
  const { dir: root, cleanup } = await tempDir('mcp-fleet-unreadable-');
  cleanups.push(cleanup);
  const dir = join(root, 'project');
  await scaffoldTemplateProject(dir, 'fleet');
  const added = await runCli(['add', 'acme', '--from-env', '--yes'], {
    cwd: dir,
    env: { UPSTREAM_TOKEN: 'an-upstream-token-for-the-test' },
  });
  expect(added.exitCode, added.stderr).toBe(0);
  if (options.edge) {
    const edge = await startEdge({ projectDir: dir, port: 0 });
    cleanups.unshift(() => edge.stop());
  }
  return { root, dir };
}

/** Makes `path` unreadable for the user the commands run as (root included, without its DAC capabilities). */
async function makeUnreadable(path: string): Promise<void> {
  await chmod(path, 0o000);
}

/** Runs mcp-fleet as this user, held to file modes (as root: without the capabilities that override them). */
async function run(args: string[], cwd: string, root: string): Promise<CliResult> {
  if (!asRoot) return runCli(args, { cwd });
  const result = await execa('setpriv', [...WITHOUT_DAC, process.execPath, binPath, ...args], {
    cwd,
    env: { CI: '1', NO_COLOR: '1', HOME: root },
    reject: false,
    input: '',
    timeout: 120_000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

function expectCannotRead(result: CliResult, path: string, what: string): void {
  expect(result.exitCode, `${what}: ${result.stderr}`).toBe(2);
  expect(result.stderr).toContain(`cannot read ${path}: permission denied`);
  expect(result.stderr).not.toMatch(/unexpected error|this is a bug|is missing/i);
}

describe.skipIf(asRoot && !setprivWorks)('a user who cannot read a file of the project is told which one (exit 2)', () => {
  test('wrangler.jsonc', async () => {
    const { root, dir } = await project();
    const path = join(dir, 'wrangler.jsonc');
    await makeUnreadable(path);
    for (const args of [['list'], ['verify', '--all', '--local'], ['add', 'beta', '--yes'], ['--json', 'status', '--all']]) {
      expectCannotRead(await run(args, dir, root), path, args.join(' '));
    }
  });

  test('a secrets file (list shows it on the client; commands that need it exit 2)', async () => {
    const { root, dir } = await project({ edge: true });
    const path = join(dir, '.secrets.acme');
    await makeUnreadable(path);
    const list = await run(['list'], dir, root);
    expect(list.exitCode, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/acme .*invalid: cannot read \S*\.secrets\.acme: permission denied/);
    for (const args of [
      ['secrets', 'push', 'acme', '--local'],
      ['verify', 'acme', '--local'],
      ['deploy', 'acme', '--local'],
    ]) {
      const result = await run(args, dir, root);
      expect(result.exitCode, `${args.join(' ')}: ${result.stdout}${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(/cannot read \S*\.secrets\.acme: permission denied/);
      expect(result.stderr).not.toMatch(/unexpected error|this is a bug/i);
    }
  });

  test('edge.json: not "missing", and local start does not take it for no edge', async () => {
    const { root, dir } = await project();
    const local = join(dir, '.mcp-fleet', 'local');
    await mkdir(local, { recursive: true, mode: 0o700 });
    const path = join(local, 'edge.json');
    await writeFile(path, '{}\n', { mode: 0o600 });
    await makeUnreadable(path);
    for (const args of [
      ['verify', '--all', '--local'],
      ['local', 'env'],
      ['local', 'status'],
      ['local', 'stop'],
      ['local', 'start', '--port', '0'],
    ]) {
      expectCannotRead(await run(args, dir, root), path, args.join(' '));
    }
  });
});
