import { spawn } from 'node:child_process';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { binPath, runCli, tempDir } from '../helpers/cli.js';

/** A hint a person follows must work, and a reader that goes away must not crash the command. */
let root: { dir: string; cleanup: () => Promise<void> };
let project: string;

beforeAll(async () => {
  root = await tempDir('mcp-fleet-hints-');
  project = join(root.dir, 'fleet');
  expect((await runCli(['init', project, '--deps', 'none'], { cwd: root.dir })).exitCode).toBe(0);
  expect((await runCli(['add', 'acme', '--yes'], { cwd: project })).exitCode).toBe(0);
});

afterAll(async () => {
  await root?.cleanup();
});

describe('hints run as printed', () => {
  test('a client whose secrets file is gone is told a command that makes it (not add --force, which refuses a client)', async () => {
    await rm(join(project, '.secrets.acme'));
    const refused = await runCli(['connect', 'acme', '--for', 'json', '--inline-key', '--yes', '--url', 'acme=http://127.0.0.1:9'], {
      cwd: project,
    });
    expect(refused.exitCode).toBe(2);
    const hint = /(cp .+ && chmod 600 \S+)/.exec(refused.stderr)?.[1];
    expect(hint, refused.stderr).toBeDefined();
    const ran = await execa('sh', ['-c', hint ?? 'false'], { cwd: root.dir, reject: false });
    expect(ran.exitCode, ran.stderr).toBe(0);
    expect((await stat(join(project, '.secrets.acme'))).mode & 0o777).toBe(0o600);
    // What add would say instead: the client exists, so add --force is no way back.
    expect(refused.stderr).not.toMatch(/add acme --force/);
  });

  test('next steps name the project when the command ran with -C', async () => {
    const result = await runCli(['-C', project, 'add'], { cwd: root.dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`-C ${project} add <client>`);
  });
});

describe('a reader that goes away', () => {
  test('output into a closed pipe ends the command normally, without a crash', async () => {
    const child = spawn(process.execPath, [binPath, 'init', join(root.dir, 'piped'), '--deps', 'none'], {
      cwd: root.dir,
      env: { ...process.env, CI: '1', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Closed before the program has written a byte: every write to stdout meets EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|Unhandled|unexpected error/);
    expect(code).toBe(0);
    expect((await stat(join(root.dir, 'piped', 'wrangler.jsonc'))).isFile()).toBe(true);
  });
});
