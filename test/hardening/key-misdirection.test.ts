import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { VerifyJson } from '../../src/ui/json/index.js';
import { closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';

/**
 * A client's key is only ever sent to that client's own URL. verify's isolation
 * probe presents a neighbour's key only at a URL the target itself forms (workers.dev, or the local
 * edge); at a `--url` or route it is skipped, visibly. acme's `--url` here is a recording server on
 * 127.0.0.1 that passes every request on to acme's real worker, so acme's own checks still pass and
 * every header and body that reached "acme's domain" can be searched. Every packet goes to loopback.
 */

interface Recorded {
  method: string;
  path: string;
  authorization: string | undefined;
  /** Every header and the body, as they arrived. */
  raw: string;
}

interface Recorder {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);

/** Records each request under `prefix`, then forwards it (prefix stripped) to the edge as `worker`'s own host. */
async function startRecorder(edgePort: number, worker: string, prefix: string): Promise<Recorder> {
  const requests: Recorded[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      authorization: req.headers.authorization,
      raw: `${JSON.stringify(req.headers)}\n${body.toString('utf8')}`,
    });
    const headers: IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
    headers.host = `${worker}.localhost:${edgePort}`;
    const path = (req.url ?? '/').startsWith(prefix) ? (req.url ?? '/').slice(prefix.length) || '/' : (req.url ?? '/');
    const outbound = httpRequest({ host: '127.0.0.1', port: edgePort, method: req.method, path, headers }, (upstream) => {
      const back: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(upstream.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) back[name] = value;
      res.writeHead(upstream.statusCode ?? 502, back);
      upstream.pipe(res);
    });
    outbound.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('recorder: upstream unreachable');
    });
    outbound.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const CLIENTS = ['acme', 'beta', 'gamma'];
let fleet: TestFleet;
let recorder: Recorder;
const keys = new Map<string, string>();

beforeAll(async () => {
  fleet = await createTestFleet('verify-trust', CLIENTS);
  const deployed = await fleet.cli(['deploy', '--all', '--local', '--no-verify']);
  expect(deployed.exitCode, deployed.stderr).toBe(0);
  for (const name of CLIENTS) keys.set(name, (await fleet.secrets(name)).get('API_KEY') as string);
  recorder = await startRecorder(fleet.edge.info.port, 'acme', '/acme-domain');
});

afterAll(async () => {
  await recorder?.close();
  await closeTestFleet(fleet);
});

function checkOf(json: VerifyJson, client: string, name: string): VerifyJson['clients'][number]['checks'][number] {
  const check = json.clients.find((entry) => entry.client === client)?.checks.find((entry) => entry.name === name);
  if (check === undefined) throw new Error(`no ${name} check for ${client}: ${JSON.stringify(json)}`);
  return check;
}

describe('keys go only where they belong', () => {
  test("with --url acme=<other host>, no other client's key is sent to acme's URL; isolation is skipped with a note", async () => {
    recorder.requests.length = 0;
    const result = await fleet.cliJson<VerifyJson>(['verify', '--all', '--local', '--url', `acme=${recorder.url}`]);
    expect(result.exitCode, result.stderr).toBe(0);
    const acme = result.json.clients.find((entry) => entry.client === 'acme');
    expect(acme?.url).toBe(recorder.url);
    // acme's own checks went through the recorder and passed: the recorder saw acme's key.
    for (const check of acme?.checks ?? []) expect(check.ok, `${check.name}: ${check.detail}`).toBe(true);
    expect(recorder.requests.length).toBeGreaterThan(3);
    expect(recorder.requests.some((request) => request.authorization === `Bearer ${keys.get('acme')}`)).toBe(true);

    // Never beta's or gamma's key, anywhere in a header or body that reached acme's URL.
    for (const other of ['beta', 'gamma']) {
      const key = keys.get(other) as string;
      const seen = recorder.requests.filter((request) => request.raw.includes(key));
      expect(
        seen.map((request) => `${request.method} ${request.path}`),
        `${other}'s key reached acme's --url`,
      ).toEqual([]);
    }
    // Whatever key did reach it is acme's own (or none, or verify's random wrong key, which is nobody's).
    for (const request of recorder.requests) {
      if (request.authorization === undefined) continue;
      expect(
        request.authorization === `Bearer ${keys.get('acme')}` || /^Bearer mcpf_wrong_/.test(request.authorization),
        `${request.method} ${request.path} carried a key that is not acme's`,
      ).toBe(true);
    }

    // The pair acme ← beta is skipped, with why; it is not a pass.
    const isolation = checkOf(result.json, 'acme', 'isolation');
    expect(isolation).toMatchObject({ ok: true, skipped: true, ms: 0 });
    expect(isolation.detail).toBe(
      `not probed: ${recorder.url} (from --url) is not acme's URL on the local edge, so beta's key is not sent there`,
    );
    // The others are on the edge's own URLs: their isolation is still probed (gamma gets acme's key, at gamma's URL).
    expect(checkOf(result.json, 'beta', 'isolation')).toMatchObject({ ok: true, detail: "gamma's key → 401" });
    expect(checkOf(result.json, 'gamma', 'isolation')).toMatchObject({ ok: true, detail: "acme's key → 401" });
    expect(checkOf(result.json, 'beta', 'isolation').skipped).toBeUndefined();
  });

  test('a skipped isolation check is visibly not a pass in the table, with its note and in the summary', async () => {
    recorder.requests.length = 0;
    const result = await fleet.cli(['verify', 'acme', 'beta', '--local', '--url', `acme=${recorder.url}`]);
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    const acme = lines.find((line) => line.includes(' acme '));
    expect(acme).toMatch(/✔ identity \d+ms +– isolation skipped/);
    expect(acme).not.toMatch(/✔ isolation/);
    expect(lines.find((line) => line.includes(' beta '))).toMatch(/✔ isolation \d+ms/);
    expect(result.stdout).toContain(`    isolation: not probed: ${recorder.url} (from --url) is not acme's URL on the local edge`);
    expect(result.stdout).toMatch(/2 clients verified, 0 failed in \d+\.\d s; 1 check skipped/);
    expect(recorder.requests.some((request) => request.raw.includes(keys.get('beta') as string))).toBe(false);
  });

  test("a --url that is acme's own URL on the local edge keeps the isolation probe", async () => {
    const own = fleet.workerUrl('acme');
    const result = await fleet.cliJson<VerifyJson>(['verify', 'acme', 'beta', '--local', '--url', `acme=${own}`]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(checkOf(result.json, 'acme', 'isolation')).toMatchObject({ ok: true, detail: "beta's key → 401" });
  });

  test('a worker URL that redirects elsewhere never passes a key on: the redirect is reported, not followed', async () => {
    const sink = await startRecorder(fleet.edge.info.port, 'beta', '/beta-domain');
    const redirector = createServer((req, res) => {
      res.writeHead(307, { location: `${sink.url}${req.url ?? '/'}` });
      res.end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = redirector.address() as AddressInfo;
      const result = await fleet.cliJson<VerifyJson>(['verify', 'acme', 'beta', '--local', '--url', `acme=http://127.0.0.1:${port}`]);
      expect(result.exitCode).toBe(1);
      expect(checkOf(result.json, 'acme', 'health').detail).toContain('307 (a redirect to');
      expect(sink.requests.map((request) => `${request.method} ${request.path}`)).toEqual([]);
    } finally {
      redirector.closeAllConnections();
      await new Promise<void>((resolve) => redirector.close(() => resolve()));
      await sink.close();
    }
  });

  test('no key leaks into any output of these runs', async () => {
    const { leaks } = await fleet.leaks.findLeaks();
    expect(leaks).toEqual([]);
  });
});
