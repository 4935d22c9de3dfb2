import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { signatureHeaders } from '../../templates/project/src/signing.js';
import { keyId, keyring, memoryNonceStore, type VerifyResult, verifyUpstreamRequest } from '../../templates/upstream-verifier/verify.js';
import { repoRoot, tempDir } from '../helpers/cli.js';
import { closeTestFleet, createTestFleet, randomValue, type TestFleet } from '../helpers/fleet.js';

/**
 * The worker signs what fetch_upstream sends to the client's upstream, and an upstream that uses
 * mcp-fleet's verifier tells those requests from replays, stale copies and other keys; a rotation
 * with a grace period keeps both keys verifying until `secrets retire`. The upstream is a real
 * HTTP server on 127.0.0.1 that the worker on the local edge calls.
 */

interface Captured {
  method: string;
  url: string;
  headers: Record<string, string>;
}

let fleet: TestFleet;
let upstream: Server;
let upstreamUrl = '';
const captured: Captured[] = [];
/** The keys the upstream accepts, and how far its clock is ahead of the real one. */
let upstreamKeys: Record<string, string> = {};
let clockAheadMs = 0;
const nonces = memoryNonceStore();

function capture(req: IncomingMessage): Captured {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
  return { method: req.method ?? 'GET', url: `http://${req.headers.host}${req.url}`, headers };
}

async function verifyWith(request: Captured, keys: Record<string, string>): Promise<VerifyResult> {
  return verifyUpstreamRequest(request, { keys, nonces: memoryNonceStore() });
}

async function fetchUpstream(path: string): Promise<{ status: number; body: string }> {
  const apiKey = (await fleet.secrets('acme')).get('API_KEY') as string;
  const client = new Client({ name: 'signing-test', version: '0.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(
    new StreamableHTTPClientTransport(new URL('/mcp', fleet.workerUrl('acme')), {
      requestInit: { headers: { Authorization: `Bearer ${apiKey}` } },
    }),
  );
  try {
    const result = await client.callTool({ name: 'fetch_upstream', arguments: { path } });
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    return result.structuredContent as { status: number; body: string };
  } finally {
    await client.close();
  }
}

/** Secrets reach the worker asynchronously: calls until the request it signs satisfies `done`. */
async function eventually(done: (request: Captured) => Promise<boolean>): Promise<Captured> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    captured.length = 0;
    await fetchUpstream('/probe');
    const request = captured.at(-1) as Captured;
    if (await done(request)) return request;
    if (Date.now() > deadline) throw new Error(`the worker never signed as expected: ${JSON.stringify(request.headers)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const request = capture(req);
    captured.push(request);
    // /ready probes the upstream without a credential or signature: it only asks whether it answers.
    if (req.url === '/') {
      res.writeHead(200).end('up');
      return;
    }
    void verifyUpstreamRequest(request, { keys: upstreamKeys, nonces, now: () => Date.now() + clockAheadMs }).then((result) => {
      res.writeHead(result.ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(result));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

  fleet = await createTestFleet('signing', [], { allowLoopbackUpstream: true });
  const token = randomValue('up-acme');
  fleet.leaks.addSecret(token, 'UPSTREAM_TOKEN of acme');
  const added = await fleet.cliJson<{ sources: Record<string, string> }>(['add', 'acme', '--from-env', '--yes'], {
    env: { UPSTREAM_TOKEN: token, UPSTREAM_URL: upstreamUrl },
  });
  if (added.exitCode !== 0) throw new Error(`add failed: ${added.stderr}`);
  expect(added.json.sources).toMatchObject({ API_KEY: 'generated', UPSTREAM_TOKEN: 'env', UPSTREAM_SIGNING_KEY: 'generated' });
  const deployed = await fleet.cli(['deploy', '--all', '--local']);
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.stdout}\n${deployed.stderr}`);
}, 300_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
  await closeTestFleet(fleet);
});

describe('signed calls to the upstream', () => {
  test('add makes an upstream signing key, in the private secrets file and on the worker', async () => {
    const secrets = await fleet.secrets('acme');
    expect(secrets.get('UPSTREAM_SIGNING_KEY')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(join(fleet.dir, '.secrets.acme'))).mode & 0o777).toBe(0o600);
    expect(await fleet.remoteSecrets('acme')).toContain('UPSTREAM_SIGNING_KEY');
  });

  test("fetch_upstream's request verifies as acme's, with the client's token and never the caller's key", async () => {
    const secrets = await fleet.secrets('acme');
    const signingKey = secrets.get('UPSTREAM_SIGNING_KEY') as string;
    upstreamKeys = await keyring({ acme: signingKey });
    captured.length = 0;
    const result = await fetchUpstream('/items?limit=2');
    expect(result.status, result.body).toBe(200);
    expect(JSON.parse(result.body)).toEqual({
      ok: true,
      client: 'acme',
      keyid: await keyId('acme', signingKey),
      label: 'sig1',
      subject: 'key',
    });

    const [request] = captured;
    expect(request?.url).toBe(`${upstreamUrl}/items?limit=2`);
    expect(request?.headers.authorization).toBe(`Bearer ${secrets.get('UPSTREAM_TOKEN')}`);
    // The key the MCP caller presented goes nowhere near the upstream, in any header.
    expect(JSON.stringify(request?.headers)).not.toContain(secrets.get('API_KEY'));
    expect(JSON.stringify(request?.headers)).not.toContain(signingKey);
    expect(request?.headers['content-digest']).toBe('sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:');
  });

  test('the same request sent again is refused as a replay', async () => {
    captured.length = 0;
    expect((await fetchUpstream('/orders')).status).toBe(200);
    const original = captured[0] as Captured;
    const { host: _host, connection: _connection, ...headers } = original.headers;
    const replay = await fetch(original.url, { method: original.method, headers });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ ok: false, reason: 'replayed request (nonce seen before)' });
  });

  test('a request the upstream sees 301 s after it was signed is refused as stale', async () => {
    clockAheadMs = 301_000;
    try {
      const result = await fetchUpstream('/orders');
      expect(result.status).toBe(401);
      expect(JSON.parse(result.body)).toEqual({ ok: false, reason: 'signature sig1 is stale (created more than 300 s ago)' });
    } finally {
      clockAheadMs = 0;
    }
  });

  test('rotate --grace: requests carry two signatures, and either key verifies them; after retire only the new one', async () => {
    const oldKey = (await fleet.secrets('acme')).get('UPSTREAM_SIGNING_KEY') as string;
    const rotated = await fleet.cliJson<{ clients: { ok: boolean; key: string }[] }>([
      'secrets',
      'rotate',
      'acme',
      '--key',
      'UPSTREAM_SIGNING_KEY',
      '--grace',
      '--local',
    ]);
    expect(rotated.exitCode, rotated.stderr).toBe(0);
    expect(rotated.json.clients).toMatchObject([{ ok: true, key: 'UPSTREAM_SIGNING_KEY' }]);
    const during = await fleet.secrets('acme');
    const newKey = during.get('UPSTREAM_SIGNING_KEY') as string;
    expect(newKey).not.toBe(oldKey);
    expect(during.get('UPSTREAM_SIGNING_KEY_PREVIOUS')).toBe(oldKey);
    expect(await fleet.remoteSecrets('acme')).toEqual(expect.arrayContaining(['UPSTREAM_SIGNING_KEY', 'UPSTREAM_SIGNING_KEY_PREVIOUS']));

    const onlyOld = await keyring({ acme: oldKey });
    const onlyNew = await keyring({ acme: newKey });
    const graced = await eventually(async (request) => (await verifyWith(request, onlyNew)).ok);
    expect(await verifyWith(graced, onlyNew)).toMatchObject({ ok: true, label: 'sig1', keyid: await keyId('acme', newKey) });
    expect(await verifyWith(graced, onlyOld)).toMatchObject({ ok: true, label: 'sig2', keyid: await keyId('acme', oldKey) });
    // An upstream that still knows only the old key keeps working through the grace period.
    upstreamKeys = onlyOld;
    expect((await fetchUpstream('/orders')).status).toBe(200);

    const retired = await fleet.cliJson<{ clients: { ok: boolean; retired: boolean }[] }>(['secrets', 'retire', 'acme', '--local']);
    expect(retired.exitCode, retired.stderr).toBe(0);
    expect(retired.json.clients).toMatchObject([{ ok: true, retired: true }]);
    expect((await fleet.secrets('acme')).has('UPSTREAM_SIGNING_KEY_PREVIOUS')).toBe(false);
    expect(await fleet.remoteSecrets('acme')).not.toContain('UPSTREAM_SIGNING_KEY_PREVIOUS');
    const after = await eventually(async (request) => !(await verifyWith(request, onlyOld)).ok);
    expect(await verifyWith(after, onlyOld)).toEqual({ ok: false, reason: 'signed by no key this upstream knows' });
    expect(await verifyWith(after, onlyNew)).toMatchObject({ ok: true, label: 'sig1' });
    expect(after.headers.signature).not.toContain('sig2');
  });

  test('a previous signing key deleted from the file by hand is deleted on the worker by the next push', async () => {
    const rotated = await fleet.cli(['secrets', 'rotate', 'acme', '--key', 'UPSTREAM_SIGNING_KEY', '--grace', '--local']);
    expect(rotated.exitCode, rotated.stderr).toBe(0);
    expect(await fleet.remoteSecrets('acme')).toContain('UPSTREAM_SIGNING_KEY_PREVIOUS');
    const path = join(fleet.dir, '.secrets.acme');
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace(/^UPSTREAM_SIGNING_KEY_PREVIOUS=.*\n/m, ''), { mode: 0o600 });
    const pushed = await fleet.cli(['secrets', 'push', 'acme', '--local']);
    expect(pushed.exitCode, pushed.stderr).toBe(0);
    expect(await fleet.remoteSecrets('acme')).not.toContain('UPSTREAM_SIGNING_KEY_PREVIOUS');
  });

  test('rotate without --grace: the old key stops verifying at once', async () => {
    const oldKey = (await fleet.secrets('acme')).get('UPSTREAM_SIGNING_KEY') as string;
    const rotated = await fleet.cli(['secrets', 'rotate', 'acme', '--key', 'UPSTREAM_SIGNING_KEY', '--local']);
    expect(rotated.exitCode, rotated.stderr).toBe(0);
    expect(rotated.stdout).toContain("Give each client's upstream its new UPSTREAM_SIGNING_KEY");
    const newKey = (await fleet.secrets('acme')).get('UPSTREAM_SIGNING_KEY') as string;
    expect((await fleet.secrets('acme')).has('UPSTREAM_SIGNING_KEY_PREVIOUS')).toBe(false);
    const request = await eventually(async (candidate) => (await verifyWith(candidate, await keyring({ acme: newKey }))).ok);
    expect((await verifyWith(request, await keyring({ acme: oldKey }))).ok).toBe(false);
  });
});

describe('the verifier, as an upstream author gets it', () => {
  test("imported as mcp-fleet/upstream-verifier (the package's export), or its one file run as it is, it verifies a signed request", async () => {
    const root = await tempDir('mcp-fleet-verifier-');
    try {
      // An upstream project with mcp-fleet installed: node_modules/mcp-fleet is this package.
      await mkdir(join(root.dir, 'node_modules'));
      await symlink(repoRoot, join(root.dir, 'node_modules', 'mcp-fleet'));
      const key = 'acme-signing-key-for-the-package-test';
      const url = 'https://api.acme.example/items';
      const headers = await signatureHeaders({
        method: 'GET',
        url: new URL(url),
        body: new Uint8Array(0),
        client: 'acme',
        keys: { current: key },
      });
      await writeFile(join(root.dir, 'request.json'), JSON.stringify({ key, request: { method: 'GET', url, headers } }));
      const script = (from: string) => `
        import { readFile } from 'node:fs/promises';
        import { keyring, verifyUpstreamRequest } from '${from}';
        const { key, request } = JSON.parse(await readFile('request.json', 'utf8'));
        const keys = await keyring({ acme: key });
        const first = await verifyUpstreamRequest(request, { keys });
        const again = await verifyUpstreamRequest(request, { keys });
        console.log(JSON.stringify([first, again]));
      `;
      for (const from of ['mcp-fleet/upstream-verifier', join(repoRoot, 'templates', 'upstream-verifier', 'verify.ts')]) {
        await writeFile(join(root.dir, 'check.mjs'), script(from));
        const run = await execa(process.execPath, ['check.mjs'], { cwd: root.dir, reject: false });
        expect(run.exitCode, `${from}: ${run.stderr}`).toBe(0);
        expect(JSON.parse(run.stdout), from).toEqual([
          { ok: true, client: 'acme', keyid: await keyId('acme', key), label: 'sig1' },
          { ok: false, reason: 'replayed request (nonce seen before)' },
        ]);
      }
      // Dependency-free: the built file imports nothing.
      expect(await readFile(join(repoRoot, 'dist', 'upstream-verifier.js'), 'utf8')).not.toMatch(/^\s*import\b|\brequire\(/m);
    } finally {
      await root.cleanup();
    }
  });
});
