import { spawn } from 'node:child_process';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Cloudflare from 'cloudflare';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { localChildEnv } from '../../src/cloudflare/local-target.js';
import { type EdgeInfo, edgeFilePath, readEdgeInfo } from '../../src/local/lifecycle/edge-file.js';
import type { LocalStatusJson } from '../../src/ui/json/index.js';
import { isAlive } from '../../src/util/process-alive.js';
import { binPath, repoRoot, runCli, tempDir } from '../helpers/cli.js';
import { closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';

/**
 * The local edge under threat: a stale edge.json never gets the token or a secret; a killed deploy
 * or edge leaves no secrets file and no child running; a dead edge is said once, with how to start
 * it; workers cannot reach this machine's loopback; the edge answers early replies to big bodies,
 * pagination, wrangler delete and tail as Cloudflare does; a taken default port. One edge for the
 * file (in this process), plus detached edges where a test is about the edge process itself. Every
 * packet goes to loopback.
 */

const wranglerBin = join(repoRoot, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
let fleet: TestFleet;
let cf: Cloudflare;
let home: string;

beforeAll(async () => {
  fleet = await createTestFleet('edge', ['acme', 'beta']);
  cf = new Cloudflare({ apiToken: fleet.edge.info.token, baseURL: fleet.edge.info.apiBaseUrl, maxRetries: 0 });
  home = join(fleet.dir, '..', 'home');
  await mkdir(home, { recursive: true });
});

afterAll(() => closeTestFleet(fleet));

/** Uploads a one-module worker through the API, as the SDK's users do. */
async function uploadWorker(name: string, source: string): Promise<void> {
  const form = new FormData();
  form.set('metadata', JSON.stringify({ main_module: 'worker.mjs', compatibility_date: '2026-11-01', bindings: [] }));
  form.set('worker.mjs', new File([source], 'worker.mjs', { type: 'application/javascript+module' }));
  await cf.put(`/accounts/${fleet.edge.info.accountId}/workers/scripts/${name}`, { body: form });
}

function workerPath(name: string, path: string): string {
  return `http://127.0.0.1:${fleet.edge.info.port}/__workers/${name}${path}`;
}

/** A copy of the fleet project with its own (stale) edge.json. */
async function projectWithEdgeFile(label: string, info: EdgeInfo): Promise<string> {
  const dir = join(fleet.dir, '..', `copy-${label}`);
  await cp(fleet.dir, dir, { recursive: true, verbatimSymlinks: true, filter: (source) => !source.includes('/.mcp-fleet/local') });
  await mkdir(join(dir, '.mcp-fleet', 'local'), { recursive: true, mode: 0o700 });
  await writeFile(edgeFilePath(dir), JSON.stringify(info), { mode: 0o600 });
  return dir;
}

/** edge.json as the real edge wrote it, moved to another port. */
function movedTo(port: number, pid: number): EdgeInfo {
  const info = fleet.edge.info;
  return {
    ...info,
    pid,
    port,
    apiBaseUrl: `http://127.0.0.1:${port}/client/v4`,
    adminUrl: `http://127.0.0.1:${port}/__edge`,
    workerUrlTemplate: `http://{name}.localhost:${port}`,
    workerPathUrlTemplate: `http://127.0.0.1:${port}/__workers/{name}`,
  };
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid as number;
}

async function listen(server: Server | NetServer, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as { port: number }).port;
}

/** A loopback HTTP listener that records every request it gets (a worker must reach none). */
async function recordingListener(): Promise<{ server: Server; port: number; hits: string[] }> {
  const hits: string[] = [];
  const server = createHttpServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.end('reached');
  });
  return { server, port: await listen(server), hits };
}

/** A loopback port nothing listens on: bound, then let go. */
async function freedPort(): Promise<number> {
  const server = createNetServer();
  const port = await listen(server);
  await close(server);
  return port;
}

async function close(server: Server | NetServer): Promise<void> {
  if ('closeAllConnections' in server) server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Every secret value of the fleet's secrets files, and the edge token. */
async function everySecret(): Promise<string[]> {
  const values = [fleet.edge.info.token];
  for (const client of ['acme', 'beta']) values.push(...(await fleet.secrets(client)).values());
  return values.filter((value) => value.length >= 8);
}

/** Children of `parent` (from /proc) whose command line matches. */
async function childrenOf(parent: number, match: RegExp): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(/^\d+ \(.*\) \S+ (\d+)/.exec(stat)?.[1]);
    if (ppid !== parent) continue;
    const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ');
    if (match.test(cmdline) || match.test(stat)) found.push(Number(entry));
  }
  return found;
}

describe('--local trusts edge.json only once the edge proves itself', () => {
  test('a stale edge.json pointing at another listener sends it nothing and exits 2', async () => {
    const received: string[] = [];
    let connections = 0;
    // The impostor answers like the edge's health check would and records every byte it is sent.
    const impostor = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ success: true, errors: [], messages: [], result: { pid: process.pid, port: 0, proof: 'f'.repeat(64) } }));
    });
    impostor.on('connection', (socket) => {
      connections++;
      socket.on('data', (chunk: Buffer) => received.push(chunk.toString('latin1')));
    });
    const port = await listen(impostor);
    try {
      // The edge's process is gone: nothing is sent anywhere.
      const gone = await projectWithEdgeFile('gone', movedTo(port, await deadPid()));
      const pushGone = await runCli(['secrets', 'push', '--all', '--local'], { cwd: gone });
      expect(pushGone.exitCode, pushGone.stderr).toBe(2);
      expect(pushGone.stderr).toMatch(/local edge is not running: .*edge\.json names pid \d+, which has exited/);
      expect(pushGone.stderr).toMatch(/mcp-fleet(\.js)? local start --detach/);
      expect(connections).toBe(0);

      // A live process answers on the port, but cannot prove it holds the edge's token.
      const taken = await projectWithEdgeFile('taken', { ...movedTo(port, process.pid), startedAt: fleet.edge.info.startedAt });
      for (const args of [
        ['secrets', 'push', '--all', '--local'],
        ['deploy', '--all', '--local'],
        ['verify', '--all', '--local'],
        ['secrets', 'status', '--all', '--local'],
      ]) {
        const result = await runCli(args, { cwd: taken });
        expect(result.exitCode, `${args.join(' ')}: ${result.stderr}`).toBe(2);
        expect(result.stderr).toContain(`another program answers on 127.0.0.1:${port}`);
        expect(result.stderr).toContain('nothing was sent to it');
        expect(result.stderr).toMatch(/mcp-fleet(\.js)? local start --detach/);
      }
      // `local env` would point wrangler at the impostor with the token: refused the same way.
      const env = await runCli(['local', 'env'], { cwd: taken });
      expect(env.exitCode).toBe(2);
      expect(env.stdout).not.toContain(fleet.edge.info.token);
      const status = await runCli(['local', 'status'], { cwd: taken });
      expect(status.exitCode).toBe(1);
      const stop = await runCli(['local', 'stop'], { cwd: taken });
      expect(stop.exitCode, stop.stderr).toBe(0);
      expect(isAlive(process.pid)).toBe(true);

      expect(connections).toBeGreaterThan(0);
      const everything = received.join('');
      const requestLines = everything.split('\r\n').filter((line) => /^[A-Z]+ \//.test(line));
      expect(
        requestLines.every((line) => /^GET \/__edge\/identity\?nonce=[A-Za-z0-9_-]+ HTTP\/1\.1$/.test(line)),
        requestLines.join('\n'),
      ).toBe(true);
      expect(everything.toLowerCase()).not.toContain('authorization');
      for (const secret of await everySecret()) expect(everything.includes(secret), 'a secret reached the impostor').toBe(false);
    } finally {
      await close(impostor);
    }
  });

  test('a dead edge is reported once, before any client runs, with how to start it; local status exits 1', async () => {
    const closedPort = await freedPort();
    const stale = await projectWithEdgeFile('dead', movedTo(closedPort, await deadPid()));
    for (const args of [
      ['deploy', '--all', '--local'],
      ['secrets', 'push', '--all', '--local'],
    ]) {
      const result = await runCli(args, { cwd: stale });
      expect(result.exitCode, result.stderr).toBe(2);
      const output = `${result.stdout}${result.stderr}`;
      expect(output.match(/the local edge is not running/g)?.length).toBe(1);
      expect(output).toMatch(/mcp-fleet(\.js)? local start --detach/);
      expect(output).not.toMatch(/ECONNREFUSED|No internet connection|fetch failed/);
      expect(output).not.toMatch(/\bacme\b|\bbeta\b/);
    }
    // A live pid (ours) with nothing on its port: said the same way.
    const silent = await projectWithEdgeFile('silent', { ...movedTo(closedPort, process.pid) });
    const push = await runCli(['secrets', 'push', '--all', '--local'], { cwd: silent });
    expect(push.exitCode).toBe(2);
    expect(push.stderr).toContain(`the local edge is not running: nothing answers on 127.0.0.1:${closedPort} (connection refused)`);

    const status = await runCli(['local', 'status'], { cwd: stale });
    expect(status.exitCode).toBe(1);
    expect(status.stdout + status.stderr).toMatch(/mcp-fleet(\.js)? local start --detach/);
    const json = await runCli(['--json', 'local', 'status'], { cwd: stale });
    expect(json.exitCode).toBe(1);
    expect(JSON.parse(json.stdout) as LocalStatusJson).toMatchObject({ running: false, stale: true });
    const none = await runCli(['local', 'status'], { cwd: join(fleet.dir, '..') });
    expect(none.exitCode).toBe(1);
    // The real edge still passes the same check.
    const live = await fleet.cli(['local', 'status']);
    expect(live.exitCode, live.stderr).toBe(0);
  });
});

describe('a killed deploy or edge leaves no secrets file behind and no child running', () => {
  test('SIGKILL during deploy: the secrets file was only in .mcp-fleet/tmp, wrangler dies too, the next deploy sweeps it', async () => {
    const before = new Set(await readdir(tmpdir()));
    // A setting only wrangler deploys keeps this deploy on wrangler (the one path with a secrets file on disk).
    const config = join(fleet.dir, 'wrangler.jsonc');
    const original = await readFile(config, 'utf8');
    const wranglerOnly = original.replace(/^(\s*)"name": "acme",$/m, '$1"name": "acme", "limits": { "cpu_ms": 30000 },');
    expect(wranglerOnly).not.toBe(original);
    await writeFile(config, wranglerOnly);
    // Slow API answers keep wrangler busy long enough to be caught mid-deploy.
    await fleet.setFaults({ latencyMs: 1_500 });
    const deploy = execa(process.execPath, [binPath, 'deploy', 'acme', '--local', '--no-verify'], {
      cwd: fleet.dir,
      env: { CI: '1', NO_COLOR: '1' },
      reject: false,
    });
    const mcpFleet = deploy.pid as number;
    const tmp = join(fleet.dir, '.mcp-fleet', 'tmp');
    let wrangler: number[] = [];
    let secretsDir = '';
    try {
      await vi.waitFor(
        async () => {
          const dirs = (await readdir(tmp).catch(() => [] as string[])).filter((name) => name.startsWith(`deploy-${mcpFleet}-`));
          expect(dirs.length).toBe(1);
          secretsDir = join(tmp, dirs[0] as string);
          expect(await readdir(secretsDir)).toEqual(['secrets.json']);
          wrangler = await childrenOf(mcpFleet, /wrangler\.js deploy --env acme/);
          expect(wrangler.length).toBe(1);
        },
        { timeout: 60_000, interval: 100 },
      );
      process.kill(mcpFleet, 'SIGKILL');
      await deploy;
      // wrangler (and its own helpers) go with it, whatever state its upload is in.
      await vi.waitFor(() => expect(wrangler.filter(isAlive)).toEqual([]), { timeout: 10_000, interval: 100 });
      expect(await readdir(secretsDir)).toEqual(['secrets.json']);
      const leftInTmp = (await readdir(tmpdir())).filter((name) => !before.has(name) && name.startsWith('mcp-fleet-deploy-'));
      expect(leftInTmp).toEqual([]);
    } finally {
      await fleet.setFaults({ latencyMs: 0 });
    }
    try {
      const next = await fleet.cli(['deploy', 'acme', '--local', '--no-verify']);
      expect(next.exitCode, next.stderr).toBe(0);
      expect(await readdir(tmp)).toEqual([]);
    } finally {
      await writeFile(config, original);
    }
  });

  test('an edge killed with SIGKILL takes its workerd with it', async () => {
    const project = await tempDir('mcp-fleet-edge-kill-');
    try {
      const start = await runCli(['--cwd', project.dir, 'local', 'start', '--detach', '--port', '0']);
      expect(start.exitCode, start.stderr).toBe(0);
      const info = await readEdgeInfo(project.dir);
      const form = new FormData();
      form.set('metadata', JSON.stringify({ main_module: 'worker.mjs', compatibility_date: '2026-11-01', bindings: [] }));
      form.set(
        'worker.mjs',
        new File(['export default { fetch() { return new Response("up"); } };'], 'worker.mjs', { type: 'application/javascript+module' }),
      );
      const upload = await fetch(`${info.apiBaseUrl}/accounts/${info.accountId}/workers/scripts/victim`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${info.token}` },
        body: form,
      });
      expect(upload.status).toBe(200);
      const workerd = await childrenOf(info.pid, /\(workerd\)/);
      expect(workerd.length).toBeGreaterThan(0);
      process.kill(info.pid, 'SIGKILL');
      // No `local stop`: nothing but the edge's death stops them.
      await vi.waitFor(() => expect(workerd.filter(isAlive)).toEqual([]), { timeout: 10_000, interval: 100 });
    } finally {
      await runCli(['--cwd', project.dir, 'local', 'stop']);
      await project.cleanup();
    }
  });
});

describe('workers cannot reach this machine', () => {
  test("a worker's fetch to loopback never reaches the listener there; it gets Cloudflare's refusal", async () => {
    const { server: upstream, port, hits } = await recordingListener();
    try {
      await uploadWorker(
        'prober',
        `export default { async fetch(request) {
          const target = new URL(request.url).searchParams.get('u');
          try {
            const r = await fetch(target, { headers: { authorization: 'Bearer upstream-credential-123' } });
            return new Response(r.status + ' ' + (await r.text()));
          } catch (e) { return new Response('threw ' + e.message); }
        } };`,
      );
      const targets = [
        `http://127.0.0.1:${port}/direct`,
        `http://localhost:${port}/by-name`,
        `http://127.9.9.9:${port}/other-loopback`,
        `http://[::1]:${port}/v6`,
        `http://[::ffff:127.0.0.1]:${port}/mapped`,
        `http://0x7f.1:${port}/hex`,
        `http://api.localhost:${port}/sub`,
        `${fleet.workerUrl('prober')}/loop`,
      ];
      for (const target of targets) {
        const answer = await (await fetch(workerPath('prober', `/?u=${encodeURIComponent(target)}`))).text();
        expect(answer, target).toMatch(/^403 error code: 1003 .*loopback/);
      }
      expect(hits).toEqual([]);
    } finally {
      await close(upstream);
    }
  });
});

describe('an upstream on this machine does not look healthy', () => {
  test("/ready of a client whose upstream is on loopback says a worker cannot reach it (Cloudflare's 1003), and the listener gets nothing", async () => {
    const { server: upstream, port, hits } = await recordingListener();
    try {
      await fleet.add('loopy');
      const configPath = join(fleet.dir, 'wrangler.jsonc');
      const config = await readFile(configPath, 'utf8');
      await writeFile(
        configPath,
        config.replace('"CLIENT_ID": "loopy"', `"CLIENT_ID": "loopy", "UPSTREAM_URL": "http://127.0.0.1:${port}"`),
      );
      const deployed = await fleet.cli(['deploy', 'loopy', '--local', '--no-verify']);
      expect(deployed.exitCode, deployed.stderr).toBe(0);
      const response = await fetch(workerPath('loopy', '/ready'));
      const body = (await response.json()) as { status: string; upstream?: string };
      expect(response.status).toBe(503);
      expect(body.upstream).toMatch(/not reachable from a worker \(Cloudflare error code: 1003\)/);
      expect(hits).toEqual([]);
      expect((await fleet.cli(['remove', 'loopy', '--delete-worker', '--local', '--yes'])).exitCode).toBe(0);
    } finally {
      await close(upstream);
    }
  });
});

describe('the edge answers as Cloudflare does', () => {
  /** POSTs `size` bytes with Node's client and returns status and body (or the error). */
  function post(url: string, size: number, headers: Record<string, string> = {}): Promise<string> {
    return new Promise((resolve) => {
      const req = httpRequest(url, { method: 'POST', headers: { 'content-length': String(size), ...headers } });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () => resolve(`${res.statusCode} ${body.slice(0, 60)}`));
      });
      req.on('error', (error) => resolve(`error ${error.message}`));
      const write = () => req.end(Buffer.alloc(size, 97));
      if (headers.expect) req.on('continue', write);
      else write();
    });
  }

  test("a 2 MB body that the worker answers early gets the worker's own answer, never a 502", async () => {
    await uploadWorker(
      'early',
      `export default { async fetch(request) {
        const url = new URL(request.url);
        if (url.pathname === '/auth') return new Response('unauthorized', { status: 401 });
        if (Number(request.headers.get('content-length')) > 1000000) return new Response('too large', { status: 413 });
        return new Response('read ' + (await request.arrayBuffer()).byteLength);
      } };`,
    );
    const size = 2 * 1024 * 1024;
    const answers: string[] = [];
    for (let i = 0; i < 8; i++) {
      answers.push(await post(workerPath('early', '/auth'), size));
      answers.push(await post(workerPath('early', '/upload'), size));
    }
    expect(answers).toEqual(Array.from({ length: 8 }, () => ['401 unauthorized', '413 too large']).flat());
    // A client that waits for 100 Continue (curl does for big bodies) hears the worker's early answer instead.
    expect(await post(workerPath('early', '/auth'), size, { expect: '100-continue' })).toBe('401 unauthorized');
    // A worker that reads the body still gets all of it, with or without the client's Expect.
    expect(await post(workerPath('early', '/read'), 900_000)).toBe('200 read 900000');
    expect(await post(workerPath('early', '/read'), 900_000, { expect: '100-continue' })).toBe('200 read 900000');
  });

  test("GET /accounts and /memberships page as Cloudflare's do, so the SDK's auto-pagination ends", async () => {
    const collect = async (pages: AsyncIterable<{ id?: string }>) => {
      const ids: Array<string | undefined> = [];
      for await (const item of pages) {
        ids.push(item.id);
        if (ids.length > 5) break;
      }
      return ids;
    };
    expect(await collect(cf.accounts.list())).toEqual([fleet.edge.info.accountId]);
    expect(await collect(cf.memberships.list())).toEqual(['local-membership']);
    const second = (await cf.get('/accounts', { query: { page: 2 } })) as { result: unknown[]; result_info: { page: number } };
    expect(second).toMatchObject({ result: [], result_info: { page: 2, total_count: 1 } });
  });

  function wranglerEnv(): Record<string, string> {
    return {
      ...localChildEnv(fleet.edge.info),
      CI: '1',
      NO_COLOR: '1',
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
    };
  }

  test('wrangler delete removes a worker', async () => {
    await uploadWorker('doomed', 'export default { fetch() { return new Response("alive"); } };');
    expect((await fetch(workerPath('doomed', '/'))).status).toBe(200);
    const result = await execa(process.execPath, [wranglerBin, 'delete', '--name', 'doomed'], {
      cwd: fleet.dir,
      env: wranglerEnv(),
      all: true,
      reject: false,
      timeout: 120_000,
    });
    expect(result.exitCode, String(result.all)).toBe(0);
    expect(String(result.all)).toContain('Successfully deleted doomed');
    expect((await fetch(workerPath('doomed', '/'))).status).toBe(404);
    const routes = (await fleet.requests()).filter((entry) => entry.script === 'doomed').map((entry) => `${entry.status} ${entry.route}`);
    expect(routes).toContain('200 GET /accounts/:account/workers/scripts/:script/references');
    expect(routes).toContain('200 DELETE /accounts/:account/workers/services/:script');
  });

  test("wrangler tail streams the worker's console output (credentials redacted)", async () => {
    await uploadWorker(
      'chatty',
      `export default { async fetch(request) {
        const marker = new URL(request.url).searchParams.get('m');
        console.log('chatty says', marker);
        return new Response('ok');
      } };`,
    );
    const credential = 'tail-visible-credential-0123456789';
    const tail = execa(process.execPath, [wranglerBin, 'tail', 'chatty', '--format', 'json'], {
      cwd: fleet.dir,
      env: wranglerEnv(),
      all: true,
      reject: false,
      buffer: false,
    });
    let output = '';
    tail.all?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    try {
      const marker = `m-${Date.now()}`;
      // Requests before the socket is up are not tailed (as on Cloudflare); keep asking until one is.
      await vi.waitFor(
        async () => {
          await fetch(workerPath('chatty', `/?m=${marker}`), { headers: { authorization: `Bearer ${credential}` } });
          expect(output).toContain(marker);
        },
        { timeout: 60_000, interval: 500 },
      );
      // wrangler prints each event as indented JSON: one object per block that ends with a lone "}".
      const block = output.split(/^}$/m).find((text) => text.includes(marker)) as string;
      const event = JSON.parse(`${block.slice(block.indexOf('{'))}}`) as {
        scriptName: string;
        outcome: string;
        logs: Array<{ message: unknown[]; level: string }>;
        event: { request: { url: string; method: string; headers: Record<string, string> } };
      };
      expect(event).toMatchObject({ scriptName: 'chatty', outcome: 'ok', event: { request: { method: 'GET' } } });
      expect(event.logs[0]).toMatchObject({ level: 'log', message: ['chatty says', marker] });
      expect(event.event.request.headers.authorization).toBe('REDACTED');
      expect(output).not.toContain(credential);
    } finally {
      tail.kill('SIGINT');
      await tail;
    }
    await vi.waitFor(async () => {
      const routes = (await fleet.requests()).filter((entry) => entry.script === 'chatty').map((entry) => `${entry.status} ${entry.route}`);
      expect(routes).toContain('200 POST /accounts/:account/workers/scripts/:script/tails');
      expect(routes).toContain('200 DELETE /accounts/:account/workers/scripts/:script/tails/:tail');
    });
  });
});

describe('a taken default port', () => {
  test('local start without --port takes a free port when 8787 is taken, and says which', async () => {
    const holder = createNetServer();
    // 8787 may already be taken by something else on this machine; then it is taken either way.
    await listen(holder, 8787).catch(() => undefined);
    const project = await tempDir('mcp-fleet-edge-port-');
    try {
      const named = await runCli(['--cwd', project.dir, 'local', 'start', '--detach', '--port', '8787']);
      expect(named.exitCode).toBe(2);
      expect(named.stderr).toContain('port 8787 is already in use');

      const start = await runCli(['--cwd', project.dir, 'local', 'start', '--detach']);
      expect(start.exitCode, start.stderr).toBe(0);
      const info = await readEdgeInfo(project.dir);
      expect(info.port).not.toBe(8787);
      expect(start.stderr).toContain(`port 8787 is taken (wrangler dev uses it too), so the edge listens on port ${info.port}`);
      const status = await runCli(['--cwd', project.dir, 'local', 'status']);
      expect(status.exitCode, status.stderr).toBe(0);
    } finally {
      await runCli(['--cwd', project.dir, 'local', 'stop']);
      if (holder.listening) await close(holder);
      await project.cleanup();
    }
  });
});

test('no secret of the fleet leaked into any output, log or command line', async () => {
  expect((await fleet.leaks.findLeaks()).leaks).toEqual([]);
});
