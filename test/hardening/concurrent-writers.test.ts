import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { acquireProjectLock } from '../../src/util/project-lock.js';
import { binPath } from '../helpers/cli.js';
import { closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';

/**
 * One writer at a time. Every command that changes the project or remote
 * state holds the project lock; read-only commands never wait for it.
 */
let fleet: TestFleet;

beforeAll(async () => {
  fleet = await createTestFleet('lock', ['acme']);
  const deployed = await fleet.cli(['deploy', 'acme', '--local', '--no-verify']);
  expect(deployed.exitCode, deployed.stderr).toBe(0);
});

afterAll(() => closeTestFleet(fleet));

describe('one writer at a time', () => {
  test('five adds at once keep all five env sections and secrets files', async () => {
    const names = ['c1', 'c2', 'c3', 'c4', 'c5'];
    const results = await Promise.all(names.map((name) => fleet.cli(['add', name, '--yes'], { env: { UPSTREAM_TOKEN: 'x' } })));
    for (const result of results) expect(result.exitCode, result.stderr).toBe(0);
    const config = await readFile(join(fleet.dir, 'wrangler.jsonc'), 'utf8');
    for (const name of names) {
      expect(config).toContain(`"${name}": {`);
      expect((await fleet.secrets(name)).get('API_KEY')?.length).toBeGreaterThan(16);
    }
    const removed = await Promise.all(names.map((name) => fleet.cli(['remove', name, '--keep-worker', '--yes'])));
    for (const result of removed) expect(result.exitCode, result.stderr).toBe(0);
    const after = await readFile(join(fleet.dir, 'wrangler.jsonc'), 'utf8');
    for (const name of names) expect(after).not.toContain(`"${name}": {`);
  });

  test('deploy during rotate never ships the revoked key: the file key opens the worker, the old one does not', async () => {
    const before = (await fleet.secrets('acme')).get('API_KEY') as string;
    const [rotate, deploy] = await Promise.all([
      fleet.cli(['secrets', 'rotate', 'acme', '--local']),
      fleet.cli(['deploy', 'acme', '--local', '--no-verify']),
    ]);
    expect(rotate.exitCode, rotate.stderr).toBe(0);
    expect(deploy.exitCode, deploy.stderr).toBe(0);
    const now = (await fleet.secrets('acme')).get('API_KEY') as string;
    expect(now).not.toBe(before);
    expect(await fleet.eventuallyAccepts('acme', now)).toBe(true);
    expect(await fleet.refuses('acme', before)).toBe(true);
    const status = await fleet.cli(['secrets', 'status', 'acme', '--local']);
    expect(status.exitCode, status.stderr).toBe(0);
  });

  test('a second writer waits, naming the holder command and pid; --no-wait fails at once and changes nothing', async () => {
    const lock = await acquireProjectLock(fleet.dir, { command: 'test holder', wait: false });
    try {
      const configBefore = await readFile(join(fleet.dir, 'wrangler.jsonc'), 'utf8');
      const refused = await fleet.cli(['add', 'late', '--yes', '--no-wait']);
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toContain(`test holder (pid ${process.pid}`);
      expect(await readFile(join(fleet.dir, 'wrangler.jsonc'), 'utf8')).toBe(configBefore);

      const waiting = fleet.cli(['add', 'late', '--yes']);
      // Read-only commands never take the lock: they answer while the writer waits.
      const list = await fleet.cli(['list']);
      expect(list.exitCode, list.stderr).toBe(0);
      const status = await fleet.cli(['secrets', 'status', 'acme', '--local']);
      expect(status.exitCode, status.stderr).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await lock.release();
      const added = await waiting;
      expect(added.exitCode, added.stderr).toBe(0);
      expect(added.stderr).toContain(`waiting for another mcp-fleet command to finish: test holder (pid ${process.pid}`);
    } finally {
      await lock.release();
    }
    expect((await fleet.cli(['remove', 'late', '--keep-worker', '--yes'])).exitCode).toBe(0);
  });

  test('a lock left by a SIGKILLed writer is taken over: the next writer goes ahead', async () => {
    // A real mcp-fleet deploy, killed (SIGKILL: no cleanup runs) while it holds the lock.
    const child = spawn(process.execPath, [binPath, 'deploy', 'acme', '--local', '--no-verify'], {
      cwd: fleet.dir,
      env: { ...process.env, CI: '1', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const watch = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes('deploying')) resolve();
      };
      child.stdout.on('data', watch);
      child.stderr.on('data', watch);
      child.once('exit', (code) => reject(new Error(`deploy ended (exit ${code}) before it was killed:\n${output}`)));
    });
    child.kill('SIGKILL');
    const holder = JSON.parse(await readFile(join(fleet.dir, '.mcp-fleet', 'project.lock.json'), 'utf8')) as { pid: number };
    expect(holder.pid).toBe(child.pid);
    const started = Date.now();
    const added = await fleet.cli(['add', 'after-kill', '--yes']);
    expect(added.exitCode, added.stderr).toBe(0);
    expect(added.stderr).toContain('no longer running');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect((await fleet.cli(['remove', 'after-kill', '--keep-worker', '--yes'])).exitCode).toBe(0);
  });
});
