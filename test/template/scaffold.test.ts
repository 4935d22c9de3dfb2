import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { execa, type ResultPromise } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseSecrets } from '../../src/secrets/dotfile.js';
import { binPath, runCli, tempDir } from '../helpers/cli.js';
import { closeTestFleet, createTestFleet, randomValue, type TestFleet } from '../helpers/fleet.js';
import { LeakWatch } from '../helpers/leaks.js';

/**
 * The project `mcp-fleet init` scaffolds, used as its engineer uses it: its own `npm test` and
 * `npm run typecheck` pass (and fail when a tool breaks or the worker stops failing closed),
 * `npm run dev -- <client>` serves that client with exactly its secrets, and `npm run deploy`
 * deploys every client, each requiring the secrets .secrets.template lists.
 */

let root: { dir: string; cleanup: () => Promise<void> };
let projects = 0;

beforeAll(async () => {
  root = await tempDir('mcp-fleet-scaffold-');
});

afterAll(async () => {
  await root?.cleanup();
});

/** A fresh project from the built CLI, node_modules linked (`init`'s default, `--deps link`). */
async function scaffold(): Promise<string> {
  const dir = join(root.dir, `project-${++projects}`);
  const init = await runCli(['init', dir], { cwd: root.dir });
  expect(init.exitCode, init.stderr).toBe(0);
  return dir;
}

/** What the project's scripts run with: this environment without vitest's own variables, offline and quiet. */
function projectEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !name.startsWith('VITEST')) env[name] = value;
  return {
    ...env,
    CI: '1',
    NO_COLOR: '1',
    WRANGLER_SEND_METRICS: 'false',
    // No update check (the banner) and no Request.cf download: nothing leaves loopback.
    WRANGLER_HIDE_BANNER: 'true',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    WRANGLER_LOG_PATH: join(root.dir, 'wrangler-logs'),
    ...extra,
  };
}

async function npm(dir: string, args: string[], extra: Record<string, string> = {}): Promise<{ exitCode: number; output: string }> {
  const result = await execa('npm', args, {
    cwd: dir,
    env: projectEnv(extra),
    extendEnv: false,
    all: true,
    reject: false,
    timeout: 240_000,
  });
  return { exitCode: result.exitCode ?? -1, output: String(result.all) };
}

interface VitestReport {
  numPassedTests: number;
  testResults: { assertionResults: { title: string; status: string }[] }[];
}

async function npmTestReport(dir: string): Promise<{ exitCode: number; output: string; report: VitestReport }> {
  const outputFile = join(dir, 'test-report.json');
  const run = await npm(dir, ['test', '--', '--reporter=json', `--outputFile=${outputFile}`]);
  return { ...run, report: JSON.parse(await readFile(outputFile, 'utf8')) as VitestReport };
}

async function edit(path: string, from: string, to: string): Promise<void> {
  const text = await readFile(path, 'utf8');
  expect(text, `${path} should contain ${from}`).toContain(from);
  await writeFile(path, text.replace(from, to));
}

describe('a freshly scaffolded project', () => {
  it('npm test passes: its own suite runs the worker in workerd', async () => {
    const dir = await scaffold();
    const { exitCode, output } = await npm(dir, ['test']);
    expect(exitCode, output).toBe(0);
    expect(output).toMatch(/Tests\s+9 passed \(9\)/);
  });

  it('npm run typecheck passes, against the runtime types wrangler writes, which git ignores', async () => {
    const dir = await scaffold();
    const { exitCode, output } = await npm(dir, ['run', 'typecheck']);
    expect(exitCode, output).toBe(0);
    expect(await readFile(join(dir, 'worker-configuration.d.ts'), 'utf8')).toMatch(
      /^\/\* eslint-disable \*\/\n\/\/ Runtime types generated with workerd@/,
    );
    expect((await readFile(join(dir, '.gitignore'), 'utf8')).split('\n')).toContain('worker-configuration.d.ts');
  });

  it('its suite and its typecheck fail when a tool breaks or the worker stops failing closed', async () => {
    const dir = await scaffold();
    // whoami now names no client: a type error (Env has no CLIENT_NAME) and a wrong answer.
    await edit(join(dir, 'src', 'tools.ts'), 'result({ client: caller.client,', "result({ client: env.CLIENT_NAME ?? 'nobody',");
    await edit(join(dir, 'src', 'platform', 'worker.ts'), 'if (missing.length > 0) return', 'if (missing.length < 0) return');
    const { exitCode, report } = await npmTestReport(dir);
    expect(exitCode).not.toBe(0);
    const failed = report.testResults.flatMap((file) => file.assertionResults.filter((test) => test.status === 'failed'));
    expect(failed.map((test) => test.title).sort()).toEqual([
      'a missing required secret (any key of .secrets.template): 503 on /mcp, even with the right key, and /ready names it',
      'whoami answers each client with its own id, and names the caller and how they got in',
    ]);
    expect(report.numPassedTests).toBe(7);
    const typecheck = await npm(dir, ['run', 'typecheck']);
    expect(typecheck.exitCode).not.toBe(0);
    expect(typecheck.output).toMatch(/src\/tools\.ts\(\d+,\d+\): error TS2339: Property 'CLIENT_NAME' does not exist/);
  });
});

describe('npm run dev -- <client>', () => {
  let upstream: Server | undefined;
  let dev: ResultPromise | undefined;
  let exited = false;
  /** The dev server runs in a process group of its own (started below): this stops all of it. */
  const stopDev = async (): Promise<void> => {
    if (dev?.pid !== undefined && !exited) process.kill(-dev.pid, 'SIGTERM');
    await dev;
  };
  afterEach(async () => {
    await stopDev();
    upstream?.closeAllConnections();
    await new Promise((resolve) => (upstream ? upstream.close(resolve) : resolve(undefined)));
  });

  it('serves the client with its vars and exactly its secrets ($, #, quotes and backslashes too), and leaves no copy of them', async () => {
    const leaks = new LeakWatch();
    leaks.startPolling();
    const dir = await scaffold();
    const token = `${randomValue('t')}$HOME #x 'q"b\\n\\`;
    const add = await runCli(['add', 'acme', '--from-env', '--yes'], { cwd: dir, env: { UPSTREAM_TOKEN: token } });
    expect(add.exitCode, add.stderr).toBe(0);
    const secrets = new Map(parseSecrets(await readFile(join(dir, '.secrets.acme'), 'utf8'), '.secrets.acme').map((e) => [e.key, e.value]));
    expect(secrets.get('UPSTREAM_TOKEN')).toBe(token);
    for (const [key, value] of secrets) leaks.addSecret(value, `${key} of acme`);

    const seen: (string | undefined)[] = [];
    upstream = createServer((request, response) => {
      seen.push(request.headers.authorization);
      response.writeHead(200, { 'content-type': 'text/plain' }).end('upstream says hi');
    });
    const upstreamPort = await listen(upstream);
    // The section `add` wrote (the file's comments show one too, on one line).
    await edit(
      join(dir, 'wrangler.jsonc'),
      '"CLIENT_ID": "acme",\n',
      `"CLIENT_ID": "acme", "UPSTREAM_URL": "http://127.0.0.1:${upstreamPort}",\n`,
    );

    const tmp = join(root.dir, 'dev-tmp');
    await mkdir(tmp);
    let output = '';
    dev = execa('npm', ['run', 'dev', '--', 'acme', '--ip', '127.0.0.1', '--port', '0', '--inspector-port', '0'], {
      cwd: dir,
      env: projectEnv({ TMPDIR: tmp }),
      extendEnv: false,
      all: true,
      reject: false,
      detached: true,
      stdin: 'ignore',
    });
    void dev.then(() => {
      exited = true;
    });
    dev.all?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const deadline = Date.now() + 60_000;
    const readyPort = (): string | undefined => /Ready on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1];
    while (readyPort() === undefined) {
      if (Date.now() > deadline || exited) throw new Error(`wrangler dev did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const port = readyPort();
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).json()).toMatchObject({ status: 'ok', client: 'acme' });
    expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);

    const client = new Client({ name: 'scaffold-test', version: '0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${secrets.get('API_KEY')}` } },
      }),
    );
    try {
      expect((await client.callTool({ name: 'whoami', arguments: {} })).structuredContent).toEqual({
        client: 'acme',
        subject: 'key',
        via: 'key',
      });
      seen.length = 0; // /ready probed the upstream, without a credential
      const fetched = await client.callTool({ name: 'fetch_upstream', arguments: {} });
      expect(fetched.structuredContent, JSON.stringify(fetched.content)).toMatchObject({ status: 200, body: 'upstream says hi' });
      expect(seen).toEqual([`Bearer ${token}`]);
    } finally {
      await client.close();
    }

    // wrangler reads the secrets from dotenv copies in a private directory, gone when it stops.
    const copies = async () => (await readdir(tmp)).filter((name) => name.startsWith('mcp-fleet-dev-acme-'));
    expect(await copies()).toHaveLength(1);
    await stopDev();
    expect(await copies()).toEqual([]);
    leaks.record('output of npm run dev', output);
    leaks.stopPolling();
    expect((await leaks.findLeaks()).leaks).toEqual([]);
  });
});

describe('npm run deploy, to the local edge', () => {
  let fleet: TestFleet | undefined;
  afterAll(async () => {
    await closeTestFleet(fleet);
  });

  it('deploys every client and only the clients; each worker requires the keys .secrets.template lists', async () => {
    fleet = await createTestFleet('scaffold-deploy', ['acme']);
    const extra = randomValue('extra');
    await writeFile(
      join(fleet.dir, '.secrets.template'),
      `${await readFile(join(fleet.dir, '.secrets.template'), 'utf8')}\nEXTRA_TOKEN=\n`,
    );
    await fleet.setSecret('acme', 'EXTRA_TOKEN', extra);
    // `npm run deploy` runs `mcp-fleet`: put the built one on PATH, as `npm link` would.
    const bin = join(fleet.dir, '..', 'bin');
    await mkdir(bin);
    await symlink(binPath, join(bin, 'mcp-fleet'));
    const deployed = await npm(fleet.dir, ['run', 'deploy', '--', '--local'], { PATH: `${bin}:${process.env.PATH ?? ''}` });
    fleet.leaks.record('output of npm run deploy', deployed.output);
    expect(deployed.exitCode, deployed.output).toBe(0);
    expect(deployed.output).toMatch(/^> mcp-fleet deploy --all --local$/m);
    expect(await fleet.remoteSecrets('acme')).toEqual(expect.arrayContaining(['API_KEY', 'UPSTREAM_TOKEN', 'EXTRA_TOKEN']));
    expect(await fleet.remoteSecrets('fleet')).toBeUndefined();
    expect((await fetch(`${fleet.workerUrl('acme')}/ready`)).status).toBe(200);

    // Take EXTRA_TOKEN away behind mcp-fleet's back: the deployed worker, which read its list from the bundled template, closes.
    const { info } = fleet.edge;
    const removed = await fetch(`${info.apiBaseUrl}/accounts/${info.accountId}/workers/scripts/acme/secrets/EXTRA_TOKEN`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${info.token}` },
    });
    expect(removed.status).toBe(200);
    const deadline = Date.now() + 15_000;
    let ready = await fetch(`${fleet.workerUrl('acme')}/ready`);
    while (ready.status === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      ready = await fetch(`${fleet.workerUrl('acme')}/ready`);
    }
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not_ready', missing: ['EXTRA_TOKEN'] });
  });
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}
