import { createServer } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { InviteJson } from '../../src/ui/json/identity.js';
import { repoRoot } from '../helpers/cli.js';
import { closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';
import { OAuthHost } from '../helpers/oauth-host.js';

/**
 * The MCP conformance suite's authorization-server scenarios (`conformance authorization`: the
 * server metadata endpoint, and an authorization code grant with PKCE and RFC 8707 resource) run
 * unmodified against a client in oauth mode on the local edge. The suite waits for a person to
 * finish the sign-in in a browser; here the browser is scripted and signs in with an invitation
 * from `users invite`, as a person would paste it.
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
