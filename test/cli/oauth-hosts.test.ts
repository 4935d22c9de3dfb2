import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { InviteJson } from '../../src/ui/json/identity.js';
import { repoRoot } from '../helpers/cli.js';
import { closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';
import { OAuthHost } from '../helpers/oauth-host.js';

/**
 * Two independent OAuth clients against a client in oauth mode on the local edge. The MCP conformance suite's authorization-server scenarios (`conformance authorization`: the
 * server metadata endpoint, and an authorization code grant with PKCE and RFC 8707 resource) run
 * unmodified against a client in oauth mode on the local edge. The suite waits for a person to
 * finish the sign-in in a browser; here the browser is scripted and signs in with an invitation
 * from `users invite`, as a person would paste it. And the MCP Inspector's CLI, which registers
 * itself, prints the sign-in URL, waits on its loopback callback and then calls the tool.
 */

let fleet: TestFleet;
let origin = '';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

beforeAll(async () => {
  fleet = await createTestFleet('conformance', ['acme']);
  const modes = await fleet.cli(['auth', 'acme', 'key,oauth', '--local']);
  if (modes.exitCode !== 0) throw new Error(`auth failed: ${modes.stderr}`);
  const deployed = await fleet.cli(['deploy', 'acme', '--local']);
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.stdout}\n${deployed.stderr}`);
  const answer = await fetch(`${fleet.edge.info.adminUrl}/workers/acme/origin`, {
    headers: { authorization: `Bearer ${fleet.edge.info.token}` },
  });
  origin = ((await answer.json()) as { result: { url: string } }).result.url;
}, 300_000);

afterAll(() => closeTestFleet(fleet));

test('conformance authorization: metadata and the authorization code grant pass against an oauth client', async () => {
  const port = await freePort();
  const redirect = `http://127.0.0.1:${port}/callback`;
  const host = new OAuthHost(origin, redirect);
  const registered = await host.register({ client_name: 'MCP conformance' });
  expect(registered.status).toBe(201);
  const clientId = String(registered.body.client_id);
  const invited = await fleet.cliJson<InviteJson>(['users', 'invite', 'acme', 'conformance@acme.example', '--local']);
  expect(invited.exitCode, invited.stderr).toBe(0);

  const suite = execa(
    process.execPath,
    [
      join(repoRoot, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js'),
      'authorization',
      '--url',
      origin,
      '--client-id',
      clientId,
      '--resource',
      `${origin}/mcp`,
      '--port',
      String(port),
    ],
    { all: true, reject: false, timeout: 120_000, env: { NO_COLOR: '1' } },
  );
  let output = '';
  const authorizeUrl = await new Promise<string>((resolve, reject) => {
    suite.all?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const url = output.match(/^(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)$/m)?.[1];
      if (url && output.includes('Callback server started')) resolve(url);
    });
    void suite.then(() => reject(new Error(`the suite ended before asking for a sign-in:\n${output}`)));
  });
  // The person's browser: the consent page, the invitation, the redirect back to the suite.
  const form = await host.openConsent(authorizeUrl);
  expect(form.status).toBe(200);
  const submitted = await host.submit({
    handle: form.handle,
    csrf: form.csrf,
    method: 'invite',
    email: 'conformance@acme.example',
    code: invited.json.code,
  });
  expect(submitted.status).toBe(302);
  const location = String(submitted.headers.get('location'));
  expect(location.startsWith(redirect)).toBe(true);
  expect((await fetch(location)).status).toBe(200);

  const result = await suite;
  expect(result.exitCode, result.all).toBe(0);
  expect(result.all).toMatch(/authorization-server-metadata-endpoint: 2 passed, 0 failed/);
  expect(result.all).toMatch(/authorization-code-grant: 1 passed, 0 failed/);
  expect(result.all).toMatch(/Total: 3 passed, 0 failed/);
}, 180_000);

test('the MCP Inspector (CLI) registers, signs a person in through the consent page and calls whoami as them', async () => {
  const port = await freePort();
  const home = await mkdtemp(join(tmpdir(), 'mcp-fleet-inspector-'));
  const invited = await fleet.cliJson<InviteJson>(['users', 'invite', 'acme', 'inspector@acme.example', '--local']);
  expect(invited.exitCode, invited.stderr).toBe(0);
  try {
    const inspector = execa(
      process.execPath,
      [
        join(repoRoot, 'node_modules', '@modelcontextprotocol', 'inspector', 'clients', 'launcher', 'build', 'index.js'),
        '--cli',
        '--server-url',
        `${origin}/mcp`,
        '--transport',
        'http',
        '--method',
        'tools/call',
        '--tool-name',
        'whoami',
        '--callback-url',
        `http://127.0.0.1:${port}/oauth/callback`,
      ],
      {
        all: true,
        reject: false,
        timeout: 120_000,
        // No TTY here: the Inspector is told it may start the sign-in, and keeps its tokens in memory only.
        env: { HOME: home, MCP_AUTO_OPEN_ENABLED: 'true', BROWSER: 'true', MCP_INSPECTOR_SECRET_STORE: 'memory', NO_COLOR: '1' },
      },
    );
    let output = '';
    const authorizeUrl = await new Promise<string>((resolve, reject) => {
      inspector.all?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const url = output.match(/(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)/)?.[1];
        if (url) resolve(url);
      });
      void inspector.then(() => reject(new Error(`the Inspector ended before asking for a sign-in:\n${output}`)));
    });
    const browser = new OAuthHost(origin, `http://127.0.0.1:${port}/oauth/callback`);
    const form = await browser.openConsent(authorizeUrl);
    expect(form.status).toBe(200);
    const submitted = await browser.submit({
      handle: form.handle,
      csrf: form.csrf,
      method: 'invite',
      email: 'inspector@acme.example',
      code: invited.json.code,
    });
    expect(submitted.status).toBe(302);
    expect((await fetch(String(submitted.headers.get('location')))).status).toBe(200);
    const result = await inspector;
    expect(result.exitCode, result.all).toBe(0);
    const answer = JSON.parse(result.stdout) as { structuredContent?: unknown };
    expect(answer.structuredContent).toEqual({ client: 'acme', subject: 'inspector@acme.example', via: 'oauth' });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}, 180_000);
