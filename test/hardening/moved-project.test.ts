import { randomBytes } from 'node:crypto';
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { type EdgeInfo, edgeFilePath } from '../../src/local/lifecycle/edge-file.js';
import { isAlive } from '../../src/util/process-alive.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { scaffoldTemplateProject } from '../helpers/template.js';

/**
 * A project moved (or removed) while its local edge runs. The edge used to keep writing by the old
 * path: the next secret change recreated it, with every version of the worker's secrets, and then
 * the edge died starting workerd from there. It must never write outside the project it was
 * started in: it notices the move and stops, and nothing appears at the old path. Every packet goes
 * to loopback.
 */

const pids: number[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  await Promise.all(cleanups.map((cleanup) => cleanup()));
});

async function api(info: EdgeInfo, method: string, path: string, body: string | FormData, contentType?: string): Promise<Response> {
  return fetch(`${info.apiBaseUrl}/accounts/${info.accountId}${path}`, {
    method,
    headers: { authorization: `Bearer ${info.token}`, ...(contentType ? { 'content-type': contentType } : {}) },
    body,
  });
}

/** A one-module worker, uploaded as the SDK's users do. */
async function uploadWorker(info: EdgeInfo, name: string): Promise<void> {
  const form = new FormData();
  form.set('metadata', JSON.stringify({ main_module: 'worker.mjs', compatibility_date: '2026-11-01', bindings: [] }));
  form.set(
    'worker.mjs',
    new File(['export default { fetch() { return new Response("ok"); } };'], 'worker.mjs', { type: 'application/javascript+module' }),
  );
  const response = await api(info, 'PUT', `/workers/scripts/${name}`, form);
  expect(response.status, await response.clone().text()).toBe(200);
}

async function putSecret(info: EdgeInfo, worker: string, value: string): Promise<Response | undefined> {
  const body = JSON.stringify({ name: 'UPSTREAM_TOKEN', text: value, type: 'secret_text' });
  return api(info, 'PUT', `/workers/scripts/${worker}/secrets`, body, 'application/json').catch(() => undefined);
}

describe('a project moved while its edge runs', () => {
  test('the edge stops without writing: the old path is not recreated, and the edge starts again from the new place', async () => {
    const { dir: root, cleanup } = await tempDir('mcp-fleet-moved-');
    cleanups.push(cleanup);
    const before = join(root, 'fleet');
    const after = join(root, 'fleet-moved');
    await scaffoldTemplateProject(before, 'fleet');
    const started = await runCli(['local', 'start', '--detach', '--port', '0'], { cwd: before });
    expect(started.exitCode, started.stderr).toBe(0);
    const info = JSON.parse(await readFile(edgeFilePath(before), 'utf8')) as EdgeInfo;
    pids.push(info.pid);
    await uploadWorker(info, 'acme');
    const first = `first-${randomBytes(12).toString('hex')}`;
    expect((await putSecret(info, 'acme', first))?.status).toBe(200);

    await rename(before, after);
    // A change arriving after the move: refused or unanswered, never written by the old path.
    const second = `second-${randomBytes(12).toString('hex')}`;
    const answer = await putSecret(info, 'acme', second);
    expect(answer?.status, 'the edge accepted a write after its project moved').not.toBe(200);

    await vi.waitFor(() => expect(isAlive(info.pid), 'the edge stopped').toBe(false), { timeout: 20_000, interval: 100 });
    expect(
      await readFile(join(before, '.mcp-fleet', 'local', 'state', 'scripts', 'acme', 'secrets.json'), 'utf8').catch(() => 'absent'),
    ).toBe('absent');
    await expect(readFile(join(before, 'wrangler.jsonc'))).rejects.toThrow(/ENOENT/);
    const log = await readFile(join(after, '.mcp-fleet', 'local', 'edge.log'), 'utf8');
    expect(log).toContain(`the local edge stops: ${before} is gone (the project was moved or removed)`);
    expect(log).not.toMatch(/workerd-guard|ENOENT/);

    // At its new place the project's edge starts again and still serves the worker and its secret.
    const again = await runCli(['local', 'start', '--detach', '--port', '0'], { cwd: after });
    expect(again.exitCode, again.stderr).toBe(0);
    const moved = JSON.parse(await readFile(edgeFilePath(after), 'utf8')) as EdgeInfo;
    pids.push(moved.pid);
    const status = await runCli(['local', 'status'], { cwd: after });
    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/acme .* secrets: UPSTREAM_TOKEN/);
    const stop = await runCli(['local', 'stop'], { cwd: after });
    expect(stop.exitCode, stop.stderr).toBe(0);
  });
});
