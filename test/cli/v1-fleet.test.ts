import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';
import { closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';

/**
 * A fleet scaffolded before the worker spoke 2026-07-28: its src/ is the earlier template
 * (test/fixtures/v1-template, on @modelcontextprotocol/sdk 1.32, 2025 revisions only, no Origin
 * check). Every command keeps working on it, verify says exactly what it lacks, and moving it to
 * the current template the way the README says makes it pass verify in full.
 */

const V1_SOURCES = join(repoRoot, 'test', 'fixtures', 'v1-template', 'src');

interface VerifyJson {
  ok: boolean;
  protocol: string;
  clients: {
    client: string;
    ok: boolean;
    checks: { name: string; ok: boolean; detail: string; advisory?: boolean }[];
    mcp?: { version: string; protocolVersion: string };
    protocols: { generation: string; required: boolean; ok: boolean; unsupported?: boolean; revisions: string[] }[];
  }[];
}

let fleet: TestFleet;

function check(json: VerifyJson, client: string, name: string): { ok: boolean; detail: string; advisory?: boolean } {
  const found = json.clients.find((entry) => entry.client === client)?.checks.find((entry) => entry.name === name);
  if (found === undefined) throw new Error(`no ${name} check for ${client}: ${JSON.stringify(json)}`);
  return found;
}

/** The project as the earlier `mcp-fleet init` left it: its worker sources and its package.json dependency. */
async function scaffoldV1Worker(dir: string): Promise<void> {
  await rm(join(dir, 'src'), { recursive: true });
  await mkdir(join(dir, 'src'));
  for (const name of await readdir(V1_SOURCES)) await cp(join(V1_SOURCES, name), join(dir, 'src', name.replace(/\.txt$/, '')));
  const pkgPath = join(dir, 'package.json');
  const pkg = JSON.parse(await readFile(pkgPath, 'utf8')) as { dependencies: Record<string, string> };
  delete pkg.dependencies['@modelcontextprotocol/server'];
  pkg.dependencies['@modelcontextprotocol/sdk'] = '^1.32.2';
  await writeFile(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);
}

beforeAll(async () => {
  fleet = await createTestFleet('v1', []);
  await scaffoldV1Worker(fleet.dir);
  await fleet.add('acme');
  await fleet.add('globex');
}, 300_000);

afterAll(() => closeTestFleet(fleet));

describe('a fleet on the 2025 template', () => {
  it('deploys: the check after the upload asks only for what the worker speaks', async () => {
    const deployed = await fleet.cli(['deploy', '--all', '--local']);
    expect(deployed.exitCode, deployed.stdout + deployed.stderr).toBe(0);
    expect(deployed.stdout + deployed.stderr).not.toMatch(/only speaks 2025/);
  });

  it('verify (both generations by default) fails modern, saying the worker only speaks 2025, and fails origin', async () => {
    const { exitCode, json } = await fleet.cliJson<VerifyJson>(['verify', '--all', '--local']);
    expect(exitCode).toBe(1);
    expect(json.protocol).toBe('both');
    for (const client of ['acme', 'globex']) {
      const mcp = check(json, client, 'mcp');
      expect(mcp.ok).toBe(false);
      expect(mcp.detail).toContain('2026-07-28 required, but the worker only speaks 2025 revisions (2025-11-25, 2025-06-18, 2025-03-26)');
      expect(mcp.detail).toContain('--protocol legacy');
      const origin = check(json, client, 'origin');
      expect(origin).toMatchObject({ ok: false });
      expect(origin.detail).toContain('answered 200 (expected 403): the worker does not check Origin');
      // Everything the 2025 template does, it still does.
      for (const name of ['health', 'ready', 'auth', 'identity', 'isolation']) expect(check(json, client, name).ok, name).toBe(true);
      expect(json.clients.find((entry) => entry.client === client)?.protocols).toEqual([
        expect.objectContaining({ generation: 'modern', required: true, ok: false, unsupported: true, revisions: [] }),
        expect.objectContaining({ generation: 'legacy', required: true, ok: true, revisions: ['2025-11-25', '2025-06-18', '2025-03-26'] }),
      ]);
    }
  });

  it('verify --protocol legacy passes, reporting the missing Origin check without failing on it', async () => {
    const { exitCode, json, stderr } = await fleet.cliJson<VerifyJson>(['verify', '--all', '--local', '--protocol', 'legacy']);
    expect(exitCode, stderr).toBe(0);
    expect(json.ok).toBe(true);
    expect(check(json, 'acme', 'mcp').detail).toBe(
      'mcp-fleet-worker 0.1.0: modern not served (2025 revisions only); legacy 2025-11-25, 2025-06-18, 2025-03-26; 2 tools (whoami, fetch_upstream)',
    );
    expect(check(json, 'acme', 'identity').detail).toBe('whoami names "acme" (legacy)');
    expect(check(json, 'acme', 'origin')).toMatchObject({ ok: true, advisory: true });
    // The human report says the same under the client's line.
    expect(stderr).toContain('speaks modern not served; legacy 2025-11-25, 2025-06-18, 2025-03-26');
    expect(stderr).toMatch(/origin: POST \/mcp from a foreign Origin .* answered 200 \(expected 403\)/);
  });

  it('verify --protocol modern fails with the same reason', async () => {
    const { exitCode, json } = await fleet.cliJson<VerifyJson>(['verify', 'acme', '--local', '--protocol', 'modern']);
    expect(exitCode).toBe(1);
    expect(check(json, 'acme', 'mcp').detail).toContain('the worker only speaks 2025 revisions');
  });

  it('rotates a key, proven on the worker, and reports secrets and clients as before', async () => {
    const rotated = await fleet.cli(['secrets', 'rotate', 'acme', '--local', '--yes']);
    expect(rotated.exitCode, rotated.stdout + rotated.stderr).toBe(0);
    const status = await fleet.cli(['secrets', 'status', '--all', '--local']);
    expect(status.exitCode, status.stderr).toBe(0);
    const listed = await fleet.cli(['list', '--local']);
    expect(listed.exitCode, listed.stderr).toBe(0);
    expect(listed.stdout + listed.stderr).toContain('globex');
    const { exitCode, json } = await fleet.cliJson<VerifyJson>(['verify', 'acme', '--local', '--protocol', 'legacy']);
    expect(exitCode).toBe(0);
    expect(json.clients[0]?.ok).toBe(true);
  });

  it('moves to the current template as the README says, and then passes verify in full', async () => {
    // 1. The current template's sources and dependency, from a scratch `init`.
    const scratch = join(fleet.dir, '..', 'current-template');
    const init = await runCli(['init', scratch, '--deps', 'none'], { cwd: join(fleet.dir, '..') });
    expect(init.exitCode, init.stderr).toBe(0);
    await rm(join(fleet.dir, 'src'), { recursive: true });
    await cp(join(scratch, 'src'), join(fleet.dir, 'src'), { recursive: true });
    const pkgPath = join(fleet.dir, 'package.json');
    const pkg = JSON.parse(await readFile(pkgPath, 'utf8')) as { dependencies: Record<string, string> };
    const current = JSON.parse(await readFile(join(scratch, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    delete pkg.dependencies['@modelcontextprotocol/sdk'];
    await writeFile(pkgPath, `${JSON.stringify({ ...pkg, dependencies: { ...pkg.dependencies, ...current.dependencies } }, null, 2)}\n`);
    // 2. Deploy, 3. verify both generations.
    const deployed = await fleet.cli(['deploy', '--all', '--local']);
    expect(deployed.exitCode, deployed.stdout + deployed.stderr).toBe(0);
    const { exitCode, json } = await fleet.cliJson<VerifyJson>(['verify', '--all', '--local']);
    expect(exitCode, JSON.stringify(json)).toBe(0);
    for (const client of json.clients) {
      expect(client.mcp).toMatchObject({ version: '0.2.0', protocolVersion: '2026-07-28' });
      expect(client.checks.every((entry) => entry.ok && !entry.advisory)).toBe(true);
    }
  });

  it('removes a client, deleting its worker', async () => {
    const removed = await fleet.cli(['remove', 'globex', '--delete-worker', '--local', '--yes']);
    expect(removed.exitCode, removed.stdout + removed.stderr).toBe(0);
    expect(await fleet.remoteSecrets('globex')).toBeUndefined();
  });

  it('never printed or passed on a key', async () => {
    const { leaks, corpus } = await fleet.leaks.findLeaks();
    expect(corpus.secrets).toBeGreaterThan(0);
    expect(leaks).toEqual([]);
  });
});
