import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { binPath } from './helpers/cli.js';
import { callsPerScript, createTestFleet, randomValue, type TestFleet } from './helpers/fleet.js';

/**
 * `mcp-fleet deploy` through the built binary against one local edge: a fleet deployed with
 * --all, verified, re-deployed, with a client whose secrets file is incomplete and one whose
 * build fails; `remove --delete-worker`; and no secret anywhere in what was printed or logged.
 */

interface DeployJson {
  ok: boolean;
  clients: {
    client: string;
    ok: boolean;
    stage: string;
    url: string | null;
    versionId: string | null;
    logPath: string | null;
    output: string[] | null;
    verify: { ok: boolean; detail: string } | null;
    error?: { message: string; hint?: string; exitCode: number };
  }[];
}

const CLIENTS = ['acme', 'beta', 'gamma'];
let fleet: TestFleet;

beforeAll(async () => {
  fleet = await createTestFleet('deploy', CLIENTS);
}, 120_000);

afterAll(async () => {
  await fleet?.cleanup();
});

describe('deploy', () => {
  test('deploy --all puts 3 clients up with their secrets, verified, in one command', async () => {
    const since = await fleet.lastSeq();
    const result = await fleet.cliJson<DeployJson>(['deploy', '--all', '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.ok).toBe(true);
    expect(result.json.clients.map((c) => c.client)).toEqual(CLIENTS);
    for (const client of result.json.clients) {
      expect(client.ok, JSON.stringify(client)).toBe(true);
      expect(client.stage).toBe('done');
      expect(client.verify?.ok, client.verify?.detail).toBe(true);
      expect(client.url).toBe(fleet.workerUrl(client.client));
      expect(client.versionId).toMatch(/\S/);
      const secrets = await fleet.secrets(client.client);
      expect(await fleet.accepts(client.client, secrets.get('API_KEY') as string)).toBe(true);
      expect((await fleet.remoteSecrets(client.client))?.sort()).toEqual(['API_KEY', 'UPSTREAM_TOKEN']);
    }
    // The first version already had the secrets: no secrets call after the upload.
    const calls = await fleet.requests(since);
    const perClient = callsPerScript(calls);
    for (const client of CLIENTS) {
      const routes = calls.filter((c) => c.script === client).map((c) => `${c.method} ${c.route ?? c.path}`);
      expect(
        routes.some((r) => /^PUT .*secrets$/.test(r)),
        routes.join('\n'),
      ).toBe(false);
      expect(routes.some((r) => /secrets-bulk/.test(r))).toBe(false);
    }
    console.log(
      `[api calls] deploy (new worker), acme's calls:\n  ${calls
        .filter((c) => c.script === 'acme' || c.script === null)
        .slice(0, 12)
        .map((c) => `${c.script ?? '-'} ${c.route ?? `${c.method} ${c.path}`} → ${c.status}`)
        .join('\n  ')}`,
    );
    console.log(
      `[api calls] deploy (new worker) per client: ${CLIENTS.map((c) => `${c}=${perClient.get(c) ?? 0}`).join(' ')}; account-level: ${perClient.get('(account)') ?? 0} for ${CLIENTS.length} clients`,
    );

    // One live line per client went to stderr under --json (not a TTY: one line per change).
    for (const client of CLIENTS) expect(result.stderr).toMatch(new RegExp(`✔ ${client}\\s+deployed`));
  });

  test("wrangler's output is kept per client in .mcp-fleet/logs, private", async () => {
    const logs = join(fleet.dir, '.mcp-fleet', 'logs');
    expect((await stat(logs)).mode & 0o777).toBe(0o700);
    const files = (await readdir(logs)).filter((name) => name.endsWith('.log'));
    for (const client of CLIENTS) {
      const file = files.find((name) => name.startsWith(`${client}-`));
      expect(file, `a log for ${client}`).toBeDefined();
      expect((await stat(join(logs, file as string))).mode & 0o777).toBe(0o600);
      const text = await readFile(join(logs, file as string), 'utf8');
      expect(text).toContain(`deploy --env ${client}`);
    }
  });

  test('secrets status is clean after deploy', async () => {
    const result = await fleet.cliJson<{ ok: boolean; clients: { client: string; inSync: boolean }[] }>([
      'secrets',
      'status',
      '--all',
      '--local',
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.clients.every((c) => c.inSync)).toBe(true);
  });

  test('an incomplete secrets file stops that client only, before anything is uploaded', async () => {
    await fleet.add('delta');
    await fleet.setSecret('delta', 'UPSTREAM_TOKEN', '');
    const since = await fleet.lastSeq();
    const result = await fleet
      .cliJson<DeployJson>(['deploy', '--all', '--local'])
      .finally(() => fleet.setSecret('delta', 'UPSTREAM_TOKEN', 'filled-in-later-1234'));
    expect(result.exitCode).toBe(1);
    const delta = result.json.clients.find((c) => c.client === 'delta');
    expect(delta?.ok).toBe(false);
    expect(delta?.stage).toBe('preflight');
    expect(delta?.error?.message).toContain('empty UPSTREAM_TOKEN');
    expect(result.stderr).toContain('not deployed');
    for (const client of CLIENTS) expect(result.json.clients.find((c) => c.client === client)?.ok).toBe(true);
    const calls = await fleet.requests(since);
    expect(calls.filter((c) => c.script === 'delta')).toEqual([]);
    expect(await fleet.remoteSecrets('delta')).toBeUndefined();
    const perClient = callsPerScript(calls);
    console.log(
      `[api calls] deploy (existing worker) per client: ${CLIENTS.map((c) => `${c}=${perClient.get(c) ?? 0}`).join(' ')}; account-level: ${perClient.get('(account)') ?? 0}`,
    );
  });

  test('a failing build is reported with its output and log; the others still deploy', async () => {
    const config = join(fleet.dir, 'wrangler.jsonc');
    const original = await readFile(config, 'utf8');
    // delta's env points at a module that does not exist, so its bundle fails.
    const broken = original.replace('"name": "delta"', '"name": "delta", "main": "src/does-not-exist.ts"');
    expect(broken).not.toBe(original);
    await writeFile(config, broken);
    try {
      const result = await fleet.cliJson<DeployJson>(['deploy', 'delta', 'acme', '--local', '--no-verify']);
      expect(result.exitCode).toBe(1);
      const delta = result.json.clients.find((c) => c.client === 'delta');
      expect(delta?.ok).toBe(false);
      expect(delta?.stage).toBe('deploy');
      expect(delta?.output?.join('\n')).toMatch(/does-not-exist/);
      expect(delta?.logPath).toMatch(/\.mcp-fleet\/logs\/delta-.*\.log$/);
      expect(result.stderr).toMatch(/does-not-exist/);
      const acme = result.json.clients.find((c) => c.client === 'acme');
      expect(acme?.ok).toBe(true);
      expect(acme?.verify ?? null).toBeNull();
    } finally {
      await writeFile(config, original);
    }
  });

  test('a single named client with bad input: exit 2, nothing done', async () => {
    await fleet.setSecret('delta', 'API_KEY', '');
    try {
      const result = await fleet.cli(['deploy', 'delta', '--local']);
      expect(result.exitCode).toBe(2);
      expect(result.stdout).toContain('empty API_KEY');
    } finally {
      await fleet.setSecret('delta', 'API_KEY', 'delta-key-set-again-5678');
    }
  });

  test('bad usage exits 2: no clients, both names and --all, a bad --concurrency', async () => {
    expect((await fleet.cli(['deploy', '--local'])).exitCode).toBe(2);
    expect((await fleet.cli(['deploy', 'acme', '--all', '--local'])).exitCode).toBe(2);
    expect((await fleet.cli(['deploy', 'nobody', '--local'])).exitCode).toBe(2);
    expect((await fleet.cli(['deploy', '--all', '--local', '--concurrency', '0'])).exitCode).toBe(2);
  });

  test('without a token or --local: exit 2 with how to create one', async () => {
    const result = await fleet.cli(['deploy', '--all'], { env: { CLOUDFLARE_API_TOKEN: '', CLOUDFLARE_ACCOUNT_ID: '' } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('CLOUDFLARE_API_TOKEN');
    expect(result.stderr).toContain('Workers Scripts: Edit');
  });

  test('Ctrl-C during a deploy leaves no secrets file behind in the temp directory', async () => {
    const tmp = join(fleet.dir, '..', 'private-tmp');
    await mkdir(tmp, { mode: 0o700 });
    const child = execa(process.execPath, [binPath, 'deploy', 'acme', '--local', '--no-verify'], {
      cwd: fleet.dir,
      env: { CI: '1', NO_COLOR: '1', TMPDIR: tmp },
      reject: false,
    });
    // Wait until wrangler is running with its secrets file, then interrupt.
    const deadline = Date.now() + 60_000;
    while (!(await readdir(tmp)).some((name) => name.startsWith('mcp-fleet-deploy-')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await readdir(tmp)).some((name) => name.startsWith('mcp-fleet-deploy-'))).toBe(true);
    child.kill('SIGINT');
    const result = await child;
    fleet.leaks.record('stdout of an interrupted deploy', String(result.stdout));
    fleet.leaks.record('stderr of an interrupted deploy', String(result.stderr));
    expect(result.exitCode === 0 || result.signal === 'SIGINT' || result.exitCode === 130).toBe(true);
    expect((await readdir(tmp)).filter((name) => name.startsWith('mcp-fleet-deploy-'))).toEqual([]);
  });

  test('remove --delete-worker deletes the worker, then the client', async () => {
    const since = await fleet.lastSeq();
    const result = await fleet.cli(['remove', 'gamma', '--delete-worker', '--local', '--yes']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('deleted worker gamma');
    expect(await fleet.remoteSecrets('gamma')).toBeUndefined();
    expect(await readFile(join(fleet.dir, 'wrangler.jsonc'), 'utf8')).not.toContain('"gamma"');
    expect(callsPerScript(await fleet.requests(since)).get('gamma')).toBe(1);
  });

  test('add --deploy onboards a client and ships its worker with its secrets in one command', async () => {
    // --from-env, not --set: a value in argv would be visible to every process on the machine.
    const result = await fleet.cliJson<{ client: string; deploy: DeployJson }>(
      ['add', 'omega', '--from-env', '--deploy', '--local', '--yes'],
      {
        env: { UPSTREAM_TOKEN: randomValue('omega-upstream') },
      },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.client).toBe('omega');
    expect(result.json.deploy.clients.map((c) => [c.client, c.ok, c.verify?.ok])).toEqual([['omega', true, true]]);
    const key = (await fleet.secrets('omega')).get('API_KEY') as string;
    expect(await fleet.accepts('omega', key)).toBe(true);
    expect((await fleet.remoteSecrets('omega'))?.sort()).toEqual(['API_KEY', 'UPSTREAM_TOKEN']);
  });

  test('no secret value appears in any output, log file or child argv', async () => {
    const { corpus, leaks } = await fleet.leaks.findLeaks();
    expect(corpus.secrets).toBeGreaterThanOrEqual(8);
    expect(corpus.logFiles).toBeGreaterThan(0);
    expect(corpus.childArgv).toBeGreaterThan(0);
    expect(corpus.cmdlines).toBeGreaterThan(0);
    expect(leaks).toEqual([]);
  });
});
