import { cp, mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import Cloudflare from 'cloudflare';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type EdgeInfo, edgeFilePath } from '../../src/local/lifecycle/edge-file.js';
import { runCli } from '../helpers/cli.js';
import { closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';

/**
 * edge.json edited so that its worker URL template points elsewhere while everything else is the
 * real, running edge's (its identity proof passes): at another loopback listener on the edge's
 * port ([::1]), or through a `..` path at another worker the edge serves. Every client's key (and,
 * through verify's isolation probe, its neighbours') would go there. A key goes only to a URL
 * derived from the port the edge proved: the tampered file is refused (exit 2) and nothing is sent.
 * Every packet goes to loopback.
 */

let fleet: TestFleet;
/** Authorization headers the spy worker (another worker on the same edge) has been sent. */
let spySeen: () => Promise<string[]>;

/** Keeps what it is sent (the isolate lives as long as the edge runs it) and shows it at /__seen. */
const SPY_WORKER = `
const seen = [];
export default {
  async fetch(request) {
    if (new URL(request.url).pathname === '/__seen') return Response.json(seen);
    seen.push(request.headers.get('authorization') ?? '');
    return new Response('not the worker you meant', { status: 401 });
  },
};
`;

beforeAll(async () => {
  fleet = await createTestFleet('tampered-edge', ['acme', 'beta']);
  const { info } = fleet.edge;
  const cf = new Cloudflare({ apiToken: info.token, baseURL: info.apiBaseUrl, maxRetries: 0 });
  const form = new FormData();
  form.set('metadata', JSON.stringify({ main_module: 'worker.mjs', compatibility_date: '2026-11-01', bindings: [] }));
  form.set('worker.mjs', new File([SPY_WORKER], 'worker.mjs', { type: 'application/javascript+module' }));
  await cf.put(`/accounts/${info.accountId}/workers/scripts/spy`, { body: form });
  spySeen = async () => (await (await fetch(`http://127.0.0.1:${info.port}/__workers/spy/__seen`)).json()) as string[];
  expect(await spySeen()).toEqual([]);
});

afterAll(() => closeTestFleet(fleet));

/** A copy of the fleet project whose edge.json is the live edge's, with `patch` applied. */
async function copyWithEdgeFile(label: string, patch: Partial<EdgeInfo>): Promise<string> {
  const dir = join(fleet.dir, '..', `tampered-${label}`);
  await cp(fleet.dir, dir, { recursive: true, verbatimSymlinks: true, filter: (source) => !source.includes('/.mcp-fleet/local') });
  await mkdir(join(dir, '.mcp-fleet', 'local'), { recursive: true, mode: 0o700 });
  await writeFile(edgeFilePath(dir), JSON.stringify({ ...fleet.edge.info, ...patch }), { mode: 0o600 });
  return dir;
}

async function keysOf(...clients: string[]): Promise<string[]> {
  return Promise.all(clients.map(async (client) => (await fleet.secrets(client)).get('API_KEY') ?? ''));
}

/** Binds [::1] on `port` if this machine has IPv6 loopback; undefined when it has none. */
async function listenOnIpv6Loopback(port: number, onRequest: (authorization: string) => void): Promise<Server | undefined> {
  const server = createServer((req, res) => {
    onRequest(req.headers.authorization ?? '');
    res.writeHead(401).end();
  });
  return new Promise((resolve) => {
    server.once('error', () => resolve(undefined));
    server.listen(port, '::1', () => resolve(server));
  });
}

const hasIpv6Loopback = await (async () => {
  const probe = await listenOnIpv6Loopback(0, () => undefined);
  if (!probe) return false;
  await new Promise((resolve) => probe.close(resolve));
  return true;
})();

describe('a key goes only to a worker URL of the edge that proved itself', () => {
  test('a template with a .. path to another worker on the edge: exit 2, the other worker is sent no key', async () => {
    const { port } = fleet.edge.info;
    const dir = await copyWithEdgeFile('dotdot', { workerUrlTemplate: `http://127.0.0.1:${port}/__workers/{name}/../spy` });
    for (const args of [
      ['verify', '--all', '--local'],
      ['connect', 'acme', '--for', 'cursor', '--local'],
      ['list', '--local'],
    ]) {
      const result = await runCli(args, { cwd: dir });
      expect(result.exitCode, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain(`${edgeFilePath(dir)} does not describe a local edge: workerUrlTemplate`);
      expect(result.stdout).not.toContain('/spy');
    }
    expect(await spySeen()).toEqual([]);
  });

  test.skipIf(!hasIpv6Loopback)('a template on [::1] at the edge’s port (another listener): exit 2, it is sent nothing', async () => {
    const { port } = fleet.edge.info;
    const received: string[] = [];
    const impostor = await listenOnIpv6Loopback(port, (authorization) => received.push(authorization));
    expect(impostor, `[::1]:${port} is free`).toBeDefined();
    try {
      const dir = await copyWithEdgeFile('ipv6', {
        workerUrlTemplate: `http://[::1]:${port}/__workers/{name}`,
        workerPathUrlTemplate: `http://[::1]:${port}/__workers/{name}`,
      });
      const result = await runCli(['verify', '--all', '--local'], { cwd: dir });
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr).toContain('does not describe a local edge: workerUrlTemplate');
      expect(received).toEqual([]);
      for (const key of await keysOf('acme', 'beta')) expect(received.join('\n')).not.toContain(key);
    } finally {
      await new Promise((resolve) => impostor?.close(resolve));
    }
  });

  test('the untampered edge.json still works: verify reaches the clients’ own workers', async () => {
    const result = await fleet.cli(['list', '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(`http://acme.localhost:${fleet.edge.info.port}`);
    expect(await spySeen()).toEqual([]);
  });
});
