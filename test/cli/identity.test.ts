import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { AuthJson, InviteJson, PeopleJson, TokenIssuedJson, TokensJson } from '../../src/ui/json/identity.js';
import type { ListJson, MetricsJson, StatusJson } from '../../src/ui/json/index.js';
import { callsPerScript, closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';
import { OAuthHost, pkce, type TokenSet } from '../helpers/oauth-host.js';
import { whoami } from '../helpers/oauth-workers.js';
import { startTestIdp, type TestIdp } from '../helpers/test-idp.js';

/**
 * Identity end to end, through the built binary against one local edge: acme accepts its key,
 * OAuth (invitations and its own identity provider, a real oidc-provider on loopback) and
 * per-person tokens; beta is key-only, as every client was before modes. People are invited,
 * sign in as a host would make them, call whoami as themselves, and are let go one at a time.
 */

const REDIRECT = 'http://127.0.0.1:43118/callback';
let fleet: TestFleet;
let idp: TestIdp;
let acme = '';
let beta = '';

async function setVars(client: string, vars: Record<string, string>): Promise<void> {
  const path = join(fleet.dir, 'wrangler.jsonc');
  const text = await readFile(path, 'utf8');
  const anchor = `"AUTH_MODES": "key,oauth,jwt"`;
  expect(text).toContain(anchor);
  const extra = Object.entries(vars)
    .map(([key, value]) => `, ${JSON.stringify(key)}: ${JSON.stringify(value)}`)
    .join('');
  await writeFile(path, text.replace(anchor, `${anchor}${extra}`));
  expect(client).toBe('acme');
}

async function invite(email: string): Promise<string> {
  const invited = await fleet.cliJson<InviteJson>(['users', 'invite', 'acme', email, '--local']);
  expect(invited.exitCode, invited.stderr).toBe(0);
  return invited.json.code;
}

/** A host registers (DCR) and the person signs in with their invitation: the tokens the host gets. */
async function signIn(email: string): Promise<{ host: OAuthHost; clientId: string; tokens: TokenSet }> {
  const host = new OAuthHost(acme, REDIRECT);
  const registered = await host.register({ client_name: `Host of ${email}` });
  expect(registered.status).toBe(201);
  const clientId = String(registered.body.client_id);
  return { host, clientId, tokens: await host.signInWithInvite(clientId, email, await invite(email)) };
}

async function refused(origin: string, bearer: string): Promise<boolean> {
  const response = await fetch(`${origin}/mcp`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'identity-test', version: '1' } },
    }),
  });
  await response.body?.cancel();
  return response.status === 401;
}

beforeAll(async () => {
  fleet = await createTestFleet('identity', ['acme', 'beta'], { allowLoopbackUpstream: true });
  beta = fleet.workerUrl('beta');
  idp = await startTestIdp();
  const modes = await fleet.cliJson<AuthJson>(['auth', 'acme', 'key,oauth,jwt', '--local']);
  if (modes.exitCode !== 0) throw new Error(`auth failed: ${modes.stderr}`);
  await setVars('acme', { OIDC_ISSUER: idp.issuer, OIDC_ALLOWED_DOMAINS: 'acme.example' });
  await fleet.setSecret('acme', 'OIDC_CLIENT_ID', idp.clientId);
  await fleet.setSecret('acme', 'OIDC_CLIENT_SECRET', idp.clientSecret);
  const deployed = await fleet.cli(['deploy', '--all', '--local']);
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.stdout}\n${deployed.stderr}`);
  acme = await originOf('acme');
  await idp.start(`${acme}/oidc/callback`);
}, 300_000);

/**
 * Where the edge serves a worker: an OAuth server gets a loopback port of its own, since OAuth
 * takes plain http on loopback addresses only and `acme.localhost` is a name, not one.
 */
async function originOf(worker: string): Promise<string> {
  const response = await fetch(`${fleet.edge.info.adminUrl}/workers/${worker}/origin`, {
    headers: { authorization: `Bearer ${fleet.edge.info.token}` },
  });
  return ((await response.json()) as { result: { url: string } }).result.url;
}

afterAll(async () => {
  await idp?.close();
  await closeTestFleet(fleet);
});

describe('auth modes per client', () => {
  test('auth made acme an identity namespace and a signing key once; list shows each client its modes', async () => {
    const shown = await fleet.cliJson<AuthJson>(['auth', 'acme']);
    expect(shown.json).toMatchObject({ client: 'acme', modes: ['key', 'oauth', 'jwt'] });
    expect(shown.json.identityNamespace).toMatch(/^[0-9a-f]{32}$/);
    const again = await fleet.cliJson<AuthJson>(['auth', 'acme', 'key,oauth,jwt', '--local']);
    expect(again.json).toMatchObject({ changed: false, namespaceBound: false, signingKey: 'kept' });
    const listed = await fleet.cliJson<ListJson>(['list']);
    expect(listed.json.map((entry) => [entry.client, entry.auth])).toEqual([
      ['acme', ['key', 'oauth', 'jwt']],
      ['beta', ['key']],
    ]);
    // The private signing key stays in the secrets file: the worker holds only the public half.
    expect((await fleet.secrets('acme')).get('JWT_SIGNING_KEY')).toMatch(/"d":/);
    expect(await fleet.remoteSecrets('acme')).toContain('JWT_PUBLIC_KEYS');
    expect(await fleet.remoteSecrets('acme')).not.toContain('JWT_SIGNING_KEY');
  });

  test('bad input is exit 2 naming the flag or the file, and nothing changes', async () => {
    const before = await readFile(join(fleet.dir, 'wrangler.jsonc'), 'utf8');
    const unknown = await fleet.cli(['auth', 'beta', 'key,sso']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/unknown auth mode "sso"/);
    const noOauth = await fleet.cli(['users', 'invite', 'beta', 'eve@beta.example', '--local']);
    expect(noOauth.exitCode).toBe(2);
    expect(noOauth.stderr).toMatch(/beta does not accept oauth/);
    const ttl = await fleet.cli(['tokens', 'issue', 'acme', '--sub', 'al@acme.example', '--ttl', '400d', '--local']);
    expect(ttl.exitCode).toBe(2);
    expect(ttl.stderr).toMatch(/--ttl: 400d is out of range/);
    expect(await readFile(join(fleet.dir, 'wrangler.jsonc'), 'utf8')).toBe(before);
  });

  test('an identity provider over plain http is refused before anything is sent, naming the file and line', async () => {
    const path = join(fleet.dir, 'wrangler.jsonc');
    const before = await readFile(path, 'utf8');
    await writeFile(path, before.replace(idp.issuer, 'http://idp.acme.example'));
    try {
      const since = await fleet.lastSeq();
      const deploy = await fleet.cli(['deploy', 'acme', '--local']);
      expect(deploy.exitCode).toBe(2);
      expect(deploy.stderr + deploy.stdout).toMatch(/wrangler\.jsonc:\d+:\d+: env\.acme\.vars\.OIDC_ISSUER is not an https URL/);
      expect((await fleet.requests(since)).filter((entry) => entry.method !== 'GET')).toEqual([]);
    } finally {
      await writeFile(path, before);
    }
  });
});

describe('people at a client with OAuth', () => {
  test('an invited person signs in and whoami names them; revoking them refuses their next call while a colleague still works', async () => {
    const alice = await signIn('alice@acme.example');
    const bob = await signIn('bob@acme.example');
    for (const generation of ['modern', 'legacy'] as const) {
      expect(await whoami(acme, alice.tokens.access_token, generation)).toEqual({
        client: 'acme',
        subject: 'alice@acme.example',
        via: 'oauth',
      });
    }
    expect(await whoami(acme, bob.tokens.access_token, 'modern')).toMatchObject({ subject: 'bob@acme.example' });

    const people = await fleet.cliJson<PeopleJson>(['users', 'list', 'acme', '--local']);
    expect(people.json.people.filter((person) => person.grants > 0).map((person) => person.email)).toEqual([
      'alice@acme.example',
      'bob@acme.example',
    ]);
    expect(people.json.people.find((person) => person.email === 'alice@acme.example')?.via).toBe('invite');

    const revoked = await fleet.cli(['users', 'revoke', 'acme', 'bob@acme.example', '--local']);
    expect(revoked.exitCode, revoked.stderr).toBe(0);
    expect(await refused(acme, bob.tokens.access_token)).toBe(true);
    expect((await bob.host.refresh(bob.clientId, bob.tokens.refresh_token)).status).toBe(400);
    expect(await whoami(acme, alice.tokens.access_token, 'modern')).toMatchObject({ subject: 'alice@acme.example' });
    const after = await fleet.cliJson<PeopleJson>(['users', 'list', 'acme', '--local']);
    expect(after.json.people.map((person) => person.email)).not.toContain('bob@acme.example');
  });

  test('an OAuth client answers on a loopback origin of its own; a key-only one keeps its name', async () => {
    expect(acme).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await originOf('beta')).toBe(beta);
    const listed = await fleet.cliJson<ListJson>(['list', '--local']);
    expect(listed.json.find((entry) => entry.client === 'acme')?.url).toBe(acme);
  });

  test('an invitation works once, for its own email only, and its code is kept nowhere but as a hash', async () => {
    const code = await invite('cy@acme.example');
    const host = new OAuthHost(acme, REDIRECT);
    const clientId = String((await host.register()).body.client_id);
    await expect(host.signInWithInvite(clientId, 'dee@acme.example', code)).rejects.toThrow();
    await host.signInWithInvite(clientId, 'cy@acme.example', code.toLowerCase());
    await expect(host.signInWithInvite(clientId, 'cy@acme.example', code)).rejects.toThrow();
    const files = await readFile(join(fleet.dir, 'wrangler.jsonc'), 'utf8');
    expect(files).not.toContain(code);
  });

  test("a person signs in at the customer's own identity provider; another domain is refused", async () => {
    const host = new OAuthHost(acme, REDIRECT);
    const clientId = String((await host.register()).body.client_id);
    const federated = async (email: string) => {
      const { verifier, challenge } = pkce();
      const form = await host.openConsent(host.authorizeUrl(clientId, challenge));
      const toIdp = await host.submit({ handle: form.handle, csrf: form.csrf, method: 'oidc' });
      expect(toIdp.status).toBe(302);
      const back = await idp.signIn(String(toIdp.headers.get('location')), { email });
      const answer = await fetch(back, { redirect: 'manual', headers: host.browser.header() });
      const location = answer.headers.get('location') ?? '';
      const code = location.startsWith(REDIRECT) ? new URL(location).searchParams.get('code') : null;
      return { code, verifier };
    };
    const gil = await federated('gil@acme.example');
    expect(gil.code).toBeTruthy();
    const tokens = await host.exchange(clientId, String(gil.code), gil.verifier);
    expect(await whoami(acme, String(tokens.body.access_token), 'legacy')).toEqual({
      client: 'acme',
      subject: 'gil@acme.example',
      via: 'oauth',
    });
    expect((await federated('hal@elsewhere.example')).code).toBeNull();
  });
});

describe('per-person tokens', () => {
  test('a token from tokens issue opens acme as its subject until it is revoked; tokens list shows it', async () => {
    const issued = await fleet.cliJson<TokenIssuedJson>(['tokens', 'issue', 'acme', '--sub', 'ida@acme.example', '--ttl', '1h', '--local']);
    expect(issued.exitCode, issued.stderr).toBe(0);
    const { token, jti } = issued.json;
    expect(await whoami(acme, token, 'modern')).toEqual({ client: 'acme', subject: 'ida@acme.example', via: 'jwt' });
    const listed = await fleet.cliJson<TokensJson>(['tokens', 'list', 'acme', '--local']);
    expect(listed.json.tokens.find((entry) => entry.jti === jti)).toMatchObject({ subject: 'ida@acme.example', revoked: false });
    expect((await fleet.cli(['tokens', 'revoke', 'acme', jti, '--local'])).exitCode).toBe(0);
    expect(await refused(acme, token)).toBe(true);
    const after = await fleet.cliJson<TokensJson>(['tokens', 'list', 'acme', '--local']);
    expect(after.json.tokens.find((entry) => entry.jti === jti)?.revoked).toBe(true);
  });

  test('tokens issue prints the token alone on stdout, and never the signing key', async () => {
    const result = await fleet.cli(['tokens', 'issue', 'acme', '--sub', 'jo@acme.example', '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(result.stderr).toMatch(/shown once/);
  });
});

describe('metrics per person', () => {
  test('metrics --by subject counts calls per caller and how they got in, naming the people mcp-fleet knows', async () => {
    const lee = await signIn('lee@acme.example');
    for (let i = 0; i < 3; i++) await whoami(acme, lee.tokens.access_token, 'modern');
    await vi.waitFor(
      async () => {
        const metrics = await fleet.cliJson<MetricsJson>(['metrics', 'acme', '--by', 'subject', '--local']);
        expect(metrics.exitCode, metrics.stderr).toBe(0);
        const rows = metrics.json.clients[0]?.routes ?? [];
        const row = rows.find((entry) => entry.subject === 'lee@acme.example');
        expect(row).toMatchObject({ via: 'oauth', route: 'oauth lee@acme.example' });
        expect(row?.subjectHash).toMatch(/^[0-9a-f]{16}$/);
        // A whoami session is several requests; three sessions are at least three.
        expect(row?.requests ?? 0).toBeGreaterThanOrEqual(3);
        // The worker never records who, only a hash: no row's hash is the email.
        expect(rows.every((entry) => entry.subjectHash !== 'lee@acme.example')).toBe(true);
      },
      { timeout: 15_000, interval: 500 },
    );
  });
});

describe('isolation and the key-only client', () => {
  test("none of acme's credentials opens beta; beta offers no OAuth; acme's metadata names only acme", async () => {
    const person = await signIn('kim@acme.example');
    const jwt = (await fleet.cliJson<TokenIssuedJson>(['tokens', 'issue', 'acme', '--sub', 'kim@acme.example', '--local'])).json.token;
    const acmeKey = (await fleet.secrets('acme')).get('API_KEY') as string;
    for (const credential of [person.tokens.access_token, jwt, acmeKey]) expect(await refused(beta, credential)).toBe(true);
    expect((await fetch(`${beta}/.well-known/oauth-protected-resource`)).status).toBe(404);
    expect((await fetch(`${beta}/authorize`)).status).toBe(404);
    const metadata = await (await fetch(`${acme}/.well-known/oauth-protected-resource/mcp`)).text();
    expect(metadata).toContain(`${acme}/mcp`);
    expect(metadata).not.toContain(beta);
  });

  test('verify proves both clients, jwt and oauth included for acme; deploying existing workers costs at most 2 API calls each', async () => {
    const verified = await fleet.cli(['verify', '--all', '--local']);
    expect(verified.exitCode, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/✔ jwt \d+ms/);
    expect(verified.stdout).toMatch(/✔ oauth \d+ms/);
    // The key-only client is checked as before: no jwt or oauth check for it.
    expect(verified.stdout.split('\n').find((line) => /\bbeta\b/.test(line))).not.toMatch(/jwt|oauth/);
    const since = await fleet.lastSeq();
    const deployed = await fleet.cli(['deploy', '--all', '--local', '--no-verify']);
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    const calls = callsPerScript(await fleet.requests(since));
    expect(calls.get('acme') ?? 0).toBeLessThanOrEqual(2);
    expect(calls.get('beta') ?? 0).toBeLessThanOrEqual(2);
    expect([...(await fleet.requests(since))].filter((entry) => entry.path.includes('/storage/kv/'))).toEqual([]);
  });
});

describe('verify --sign-in', () => {
  test('runs the OAuth flow against the deployed worker in 4 API calls, and leaves nobody behind', async () => {
    const since = await fleet.lastSeq();
    const verified = await fleet.cli(['verify', 'acme', '--sign-in', '--local']);
    expect(verified.exitCode, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout, verified.stdout).toMatch(/✔ sign-in \d+(\.\d+)?m?s /);
    const kvCalls = (await fleet.requests(since)).filter((entry) => entry.path.includes('/storage/kv/'));
    expect(kvCalls).toHaveLength(4);
    const people = await fleet.cliJson<PeopleJson>(['users', 'list', 'acme', '--local']);
    expect(people.json.people.map((person) => person.email)).not.toContain('verify@mcp-fleet.invalid');
  });
});

describe('rotating the signing key', () => {
  test('--grace keeps tokens of the old key working beside the new one; retire ends them; a rollback never brings them back', async () => {
    const issue = async (sub: string) =>
      (await fleet.cliJson<TokenIssuedJson>(['tokens', 'issue', 'acme', '--sub', sub, '--local'])).json.token;
    const before = await issue('old@acme.example');
    const oldKey = (await fleet.secrets('acme')).get('JWT_SIGNING_KEY');
    const rotated = await fleet.cli(['secrets', 'rotate', 'acme', '--key', 'JWT_SIGNING_KEY', '--grace', '--yes', '--local']);
    expect(rotated.exitCode, rotated.stdout + rotated.stderr).toBe(0);
    const secrets = await fleet.secrets('acme');
    expect(secrets.get('JWT_SIGNING_KEY')).not.toBe(oldKey);
    expect(secrets.get('JWT_SIGNING_KEY_PREVIOUS')).toBe(oldKey);
    expect(await fleet.remoteSecrets('acme')).not.toContain('JWT_SIGNING_KEY_PREVIOUS');
    const after = await issue('new@acme.example');
    expect(await whoami(acme, before, 'modern')).toMatchObject({ subject: 'old@acme.example', via: 'jwt' });
    expect(await whoami(acme, after, 'modern')).toMatchObject({ subject: 'new@acme.example', via: 'jwt' });

    const retired = await fleet.cli(['secrets', 'retire', 'acme', '--local']);
    expect(retired.exitCode, retired.stdout + retired.stderr).toBe(0);
    expect((await fleet.secrets('acme')).has('JWT_SIGNING_KEY_PREVIOUS')).toBe(false);
    expect(await refused(acme, before)).toBe(true);
    expect(await whoami(acme, after, 'modern')).toMatchObject({ subject: 'new@acme.example' });

    const rolledBack = await fleet.cli(['rollback', 'acme', '--local']);
    expect(rolledBack.exitCode, rolledBack.stdout + rolledBack.stderr).toBe(0);
    expect(await refused(acme, before)).toBe(true);
    expect(await whoami(acme, after, 'modern')).toMatchObject({ subject: 'new@acme.example' });
  });
});

describe('a mode change not yet deployed', () => {
  test('status shows it as drift until the deploy that ships it', async () => {
    const changed = await fleet.cli(['auth', 'beta', 'key,jwt', '--local']);
    expect(changed.exitCode, changed.stderr).toBe(0);
    const drifted = await fleet.cliJson<StatusJson>(['status', 'beta', '--local']);
    expect(drifted.json.clients[0]).toMatchObject({ auth: ['key', 'jwt'], deployedAuth: ['key'], inSync: false });
    expect(drifted.json.clients[0]?.drift).toContain('auth modes');
    const deployed = await fleet.cli(['deploy', 'beta', '--local']);
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    const settled = await fleet.cliJson<StatusJson>(['status', 'beta', '--local']);
    expect(settled.json.clients[0]).toMatchObject({ deployedAuth: ['key', 'jwt'] });
    expect(settled.json.clients[0]?.drift).not.toContain('auth modes');
  });
});

describe('offboarding the client', () => {
  test("remove --delete-worker deletes its identity namespace with its worker: its people's grants go too", async () => {
    const namespace = (await fleet.cliJson<AuthJson>(['auth', 'acme'])).json.identityNamespace;
    const listNamespaces = async () => {
      const response = await fetch(`${fleet.edge.info.apiBaseUrl}/accounts/${fleet.edge.info.accountId}/storage/kv/namespaces`, {
        headers: { authorization: `Bearer ${fleet.edge.info.token}` },
      });
      return ((await response.json()) as { result: Array<{ id: string }> }).result.map((entry) => entry.id);
    };
    expect(await listNamespaces()).toContain(namespace);
    const removed = await fleet.cli(['remove', 'acme', '--delete-worker', '--yes', '--local']);
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(await listNamespaces()).not.toContain(namespace);
  });
});
