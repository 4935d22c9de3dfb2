import Cloudflare, { APIError } from 'cloudflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEdge, startEdge } from '../../src/local/edge.js';
import { tempDir } from '../helpers/cli.js';

/**
 * The local edge's API tokens, through the real `cloudflare` SDK: a token made with some permission
 * groups verifies, shows its policies, and is refused (403, code 10000) where a group it lacks is
 * needed, as on Cloudflare; the admin routes take the edge's own token only; tokens outlive a restart.
 */

let project: { dir: string; cleanup: () => Promise<void> };
let edge: RunningEdge;

beforeAll(async () => {
  project = await tempDir('mcp-fleet-edge-tokens-');
  edge = await startEdge({ projectDir: project.dir, port: 0 });
});

afterAll(async () => {
  await edge?.stop();
  await project?.cleanup();
});

function sdk(token: string): Cloudflare {
  return new Cloudflare({ apiToken: token, baseURL: edge.info.apiBaseUrl, maxRetries: 0, logLevel: 'off' });
}

async function makeToken(groups: readonly string[], by = edge.info.token): Promise<{ id: string; value: string }> {
  const root = sdk(by);
  const known: { id?: string; name?: string }[] = [];
  for await (const group of root.user.tokens.permissionGroups.list()) known.push(group);
  const created = await root.user.tokens.create({
    name: `test: ${groups.join(', ')}`,
    policies: [
      {
        effect: 'allow',
        resources: { [`com.cloudflare.api.account.${edge.info.accountId}`]: '*' },
        permission_groups: groups.map((name) => ({ id: known.find((group) => group.name === name)?.id ?? 'unknown' })),
      },
    ],
  });
  return { id: created.id ?? '', value: created.value ?? '' };
}

async function refusal(call: Promise<unknown>): Promise<{ status: number | undefined; codes: (number | undefined)[] }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof APIError) return { status: error.status, codes: error.errors.map((entry) => entry.code) };
    throw error;
  }
  throw new Error('the call was not refused');
}

describe('local edge: API tokens and their permissions', () => {
  it('a new token verifies as itself and its policies name the groups it was given', async () => {
    const token = await makeToken(['Workers Scripts Read']);
    expect(token.value).toMatch(/^[A-Za-z0-9_-]{40}$/);
    expect(await sdk(token.value).user.tokens.verify()).toEqual({ id: token.id, status: 'active' });
    const details = await sdk(edge.info.token).user.tokens.get(token.id);
    expect(details.policies?.flatMap((policy) => policy.permission_groups.map((group) => group.name))).toEqual(['Workers Scripts Read']);
    // Reading a token's policies needs "API Tokens Read", which this token lacks.
    expect(await refusal(sdk(token.value).user.tokens.get(token.id))).toEqual({ status: 403, codes: [10000] });
  });

  it('is refused where a group it lacks is needed, and allowed where one it holds is (Write covers Read)', async () => {
    const reader = await makeToken(['Workers Scripts Read']);
    const account_id = edge.info.accountId;
    await expect(sdk(reader.value).workers.scripts.list({ account_id })).resolves.toBeDefined();
    expect(await refusal(sdk(reader.value).kv.namespaces.create({ account_id, title: 'not-allowed' }))).toEqual({
      status: 403,
      codes: [10000],
    });
    const kv = await makeToken(['Workers KV Storage Write']);
    const made = await sdk(kv.value).kv.namespaces.create({ account_id, title: 'allowed' });
    expect(made.title).toBe('allowed');
    const listed = await sdk(kv.value).kv.namespaces.list({ account_id });
    expect(listed.result.map((namespace) => namespace.title)).toContain('allowed');
    // Only a token holding "API Tokens Write" makes tokens.
    expect(await refusal(makeToken(['Workers Scripts Write'], reader.value))).toEqual({ status: 403, codes: [10000] });
  });

  it("refuses an unknown permission group; the admin routes take the edge's own token only", async () => {
    expect((await refusal(makeToken(['No Such Group']))).status).toBe(400);
    const token = await makeToken(['Workers Scripts Write']);
    const admin = await fetch(`${edge.info.adminUrl}/faults`, { headers: { authorization: `Bearer ${token.value}` } });
    expect(admin.status).toBe(403);
  });

  it('tokens outlive a restart of the edge', async () => {
    const token = await makeToken(['Workers Scripts Read']);
    await edge.stop();
    edge = await startEdge({ projectDir: project.dir, port: 0 });
    expect(await sdk(token.value).user.tokens.verify()).toEqual({ id: token.id, status: 'active' });
  });
});
