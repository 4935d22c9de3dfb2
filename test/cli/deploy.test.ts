import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import type { AddJson, DeployJson, SecretsStatusJson } from '../../src/ui/json/index.js';
import { binPath, type CliResult } from '../helpers/cli.js';
import { callsPerScript, closeTestFleet, createTestFleet, type EdgeRequest, randomValue, type TestFleet } from '../helpers/fleet.js';

/**
 * `mcp-fleet deploy` through the built binary against one local edge: a fleet deployed with
 * --all, verified, re-deployed, with a client whose secrets file is incomplete and one whose
 * build fails; `remove --delete-worker`; and no secret anywhere in what was printed or logged.
 *
 * Tests run in any order (vitest --sequence.shuffle). beforeAll makes the fleet's first deploy —
 * `deploy --all` of acme, beta and gamma onto an empty edge — and keeps its result and API calls for
 * the test about it; every test leaves that fleet as it found it, and a test that needs another
 * client (delta with a broken secrets file or build, a client to remove) adds it and takes it away.
 */

/**
 * Makes a client's env use a setting only wrangler deploys (limits) for the duration of the test.
 * Undone by taking out just that setting, so it does not matter whether the client was removed first.
 */
async function onlyWranglerCanShip(client: string): Promise<void> {
  const config = join(fleet.dir, 'wrangler.jsonc');
  const setting = ', "limits": { "cpu_ms": 30000 }';
  const original = await readFile(config, 'utf8');
  const changed = original.replace(`"name": "${client}"`, `"name": "${client}"${setting}`);
  expect(changed).not.toBe(original);
  await writeFile(config, changed);
  onTestFinished(async () => writeFile(config, (await readFile(config, 'utf8')).replace(setting, '')));
}

const CLIENTS = ['acme', 'beta', 'gamma'];
let fleet: TestFleet;
/** The first deploy of the fleet: its result and the API calls it made. */
let firstDeploy: { result: CliResult & { json: DeployJson }; calls: EdgeRequest[] };

beforeAll(async () => {
  fleet = await createTestFleet('deploy', CLIENTS);
  const since = await fleet.lastSeq();
  const result = await fleet.cliJson<DeployJson>(['deploy', '--all', '--local']);
  firstDeploy = { result, calls: await fleet.requests(since) };
}, 300_000);

// A test checks for leaks in what had run by its turn; this checks everything every test ran.
afterAll(() => closeTestFleet(fleet));

/**
 * Adds a client for the current test only; when the test ends it is removed again, its worker
 * deleted if the test deployed one, so the fleet is back to acme, beta and gamma.
 */
async function addForThisTest(client: string): Promise<void> {
  await fleet.add(client);
  onTestFinished(async () => {
    const removed = await fleet.cli(['remove', client, '--delete-worker', '--local', '--yes']);
    if (removed.exitCode !== 0) throw new Error(`remove ${client} failed:\n${removed.stderr}`);
  });
}

describe('deploy', () => {
  test('deploy --all puts 3 clients up with their secrets, verified, in one command', async () => {
    const { result, calls } = firstDeploy;
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.ok).toBe(true);
    expect(result.json.clients.map((c) => c.client)).toEqual(CLIENTS);
    // Built once, uploaded through the API: each new worker is one script upload and its workers.dev URL.
    expect(new Set(result.json.clients.map((c) => c.bundleHash)).size).toBe(1);
    for (const client of result.json.clients) {
      expect(client.ok, JSON.stringify(client)).toBe(true);
      expect(client.stage).toBe('done');
      expect(client.verify?.ok, client.verify?.detail).toBe(true);
      expect(client.url).toBe(fleet.workerUrl(client.client));
      expect(client.versionId).toMatch(/\S/);
      const secrets = await fleet.secrets(client.client);
      expect(await fleet.accepts(client.client, secrets.get('API_KEY') as string)).toBe(true);
      expect((await fleet.remoteSecrets(client.client))?.sort()).toEqual(['API_KEY', 'UPSTREAM_SIGNING_KEY', 'UPSTREAM_TOKEN']);
    }
    // The first version already had the secrets: no secrets call after the upload.
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
    for (const client of CLIENTS) expect(perClient.get(client)).toBeLessThanOrEqual(3);
    expect(perClient.get('(account)') ?? 0).toBeLessThanOrEqual(1);

    // One live line per client went to stderr under --json (not a TTY: one line per change).
    for (const client of CLIENTS) expect(result.stderr).toMatch(new RegExp(`✔ ${client}\\s+deployed`));
  });

  test("the build's wrangler output is kept in .mcp-fleet/logs, private, and named in the result", async () => {
    const logs = join(fleet.dir, '.mcp-fleet', 'logs');
    expect((await stat(logs)).mode & 0o777).toBe(0o700);
    const logPath = firstDeploy.result.json.clients[0]?.logPath as string;
    expect(logPath).toMatch(/\.mcp-fleet\/logs\/build-fleet-.*\.log$/);
    for (const client of firstDeploy.result.json.clients) expect(client.logPath).toBe(logPath);
    expect((await stat(logPath)).mode & 0o777).toBe(0o600);
    expect(await readFile(logPath, 'utf8')).toContain('deploy --dry-run --env acme');
  });

  test('secrets status is clean after deploy', async () => {
    const result = await fleet.cliJson<SecretsStatusJson>(['secrets', 'status', '--all', '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.clients.every((c) => c.inSync)).toBe(true);
  });

  test('an incomplete secrets file stops that client only, before anything is uploaded', async () => {
    await addForThisTest('delta');
    await fleet.setSecret('delta', 'UPSTREAM_TOKEN', '');
    const since = await fleet.lastSeq();
    const result = await fleet.cliJson<DeployJson>(['deploy', '--all', '--local']);
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
    for (const client of CLIENTS) expect(perClient.get(client)).toBeLessThanOrEqual(2);
  });

  test('a failing build is reported with its output and log; the others still deploy', async () => {
    await addForThisTest('delta');
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
      // Its own build configuration, so its own build: nothing was uploaded for it.
      expect(delta?.stage).toBe('build');
      expect(delta?.output?.join('\n')).toMatch(/does-not-exist/);
      expect(delta?.logPath).toMatch(/\.mcp-fleet\/logs\/build-group\d-.*\.log$/);
      expect(result.stderr).toMatch(/does-not-exist/);
      const acme = result.json.clients.find((c) => c.client === 'acme');
      expect(acme?.ok).toBe(true);
      expect(acme?.verify ?? null).toBeNull();
    } finally {
      await writeFile(config, original);
    }
  });

  test('a single named client with bad input: exit 2, nothing done', async () => {
    await addForThisTest('delta');
    await fleet.setSecret('delta', 'API_KEY', '');
    const since = await fleet.lastSeq();
    const result = await fleet.cli(['deploy', 'delta', '--local']);
    expect(result.exitCode).toBe(2);
    expect(`${result.stdout}${result.stderr}`).toContain('empty API_KEY');
    expect((await fleet.requests(since)).filter((c) => c.script === 'delta')).toEqual([]);
    expect(await fleet.remoteSecrets('delta')).toBeUndefined();
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

  test('a client whose config only wrangler deploys goes through wrangler, and the output says why', async () => {
    await addForThisTest('delta');
    await onlyWranglerCanShip('delta');
    const result = await fleet.cliJson<DeployJson>(['deploy', 'delta', 'acme', '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    const delta = result.json.clients.find((c) => c.client === 'delta');
    expect(delta?.plan.method).toBe('wrangler');
    expect(delta?.plan.wranglerReason).toContain('"limits"');
    expect(delta?.logPath).toMatch(/\.mcp-fleet\/logs\/delta-.*\.log$/);
    expect(await readFile(delta?.logPath as string, 'utf8')).toContain('deploy --env delta');
    expect(result.json.clients.find((c) => c.client === 'acme')?.plan.method).toBe('api');
    expect(result.stderr).toMatch(/delta: .*"limits"/);
    const key = (await fleet.secrets('delta')).get('API_KEY') as string;
    expect(await fleet.accepts('delta', key)).toBe(true);
  });

  test('Ctrl-C during a wrangler deploy leaves no secrets file behind in the temp directory', async () => {
    // The direct upload never writes secrets to disk; wrangler gets them in a file, so that path is the one to interrupt.
    await addForThisTest('delta');
    await onlyWranglerCanShip('delta');
    const tmp = join(fleet.dir, '..', 'private-tmp');
    await mkdir(tmp, { mode: 0o700 });
    const child = execa(process.execPath, [binPath, 'deploy', 'delta', '--local', '--no-verify'], {
      cwd: fleet.dir,
      env: { CI: '1', NO_COLOR: '1', TMPDIR: tmp },
      reject: false,
    });
    // The secrets file's directory: in the system temp directory, or in the project's private .mcp-fleet/tmp.
    const projectTmp = join(fleet.dir, '.mcp-fleet', 'tmp');
    const deployDirs = async () => [
      ...(await readdir(tmp)).filter((name) => name.startsWith('mcp-fleet-deploy-')),
      ...(await readdir(projectTmp).catch(() => [] as string[])).filter((name) => name.startsWith('deploy-')),
    ];
    // Wait until wrangler is running with its secrets file, then interrupt.
    const deadline = Date.now() + 60_000;
    while ((await deployDirs()).length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await deployDirs()).length).toBeGreaterThan(0);
    child.kill('SIGINT');
    const result = await child;
    fleet.leaks.record('stdout of an interrupted deploy', String(result.stdout));
    fleet.leaks.record('stderr of an interrupted deploy', String(result.stderr));
    expect(result.exitCode === 0 || result.signal === 'SIGINT' || result.exitCode === 130).toBe(true);
    expect(await deployDirs()).toEqual([]);
  });

  test('remove --delete-worker deletes the worker, then the client', async () => {
    // A client of its own, deployed here, so acme, beta and gamma stay for the other tests.
    await fleet.add('kappa');
    const deployed = await fleet.cli(['deploy', 'kappa', '--local', '--no-verify']);
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    expect(await fleet.remoteSecrets('kappa')).toBeDefined();
    const since = await fleet.lastSeq();
    const result = await fleet.cli(['remove', 'kappa', '--delete-worker', '--local', '--yes']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('deleted worker kappa');
    expect(await fleet.remoteSecrets('kappa')).toBeUndefined();
    expect(await readFile(join(fleet.dir, 'wrangler.jsonc'), 'utf8')).not.toContain('"kappa"');
    expect(callsPerScript(await fleet.requests(since)).get('kappa')).toBe(1);
  });

  test('add --deploy onboards a client and ships its worker with its secrets in one command', async () => {
    // Taken away afterwards so the fleet is acme, beta and gamma again (nothing to remove if add failed).
    onTestFinished(async () => {
      await fleet.cli(['remove', 'omega', '--delete-worker', '--local', '--yes']);
    });
    // --from-env, not --set: a value in argv would be visible to every process on the machine.
    const result = await fleet.cliJson<AddJson>(['add', 'omega', '--from-env', '--deploy', '--local', '--yes'], {
      env: { UPSTREAM_TOKEN: randomValue('omega-upstream') },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.client).toBe('omega');
    expect(result.json.deploy?.clients.map((c) => [c.client, c.ok, c.verify?.ok])).toEqual([['omega', true, true]]);
    const key = (await fleet.secrets('omega')).get('API_KEY') as string;
    expect(await fleet.accepts('omega', key)).toBe(true);
    expect((await fleet.remoteSecrets('omega'))?.sort()).toEqual(['API_KEY', 'UPSTREAM_SIGNING_KEY', 'UPSTREAM_TOKEN']);
  });

  test('no secret value appears in any output, log file or child argv', async () => {
    // A deploy of its own that carries new values (each through a secrets file handed to wrangler),
    // so what is searched never depends on which tests ran before this one.
    for (const client of ['acme', 'beta']) await fleet.setSecret(client, 'UPSTREAM_TOKEN', randomValue(`leak-check-${client}`));
    const redeploy = await fleet.cli(['deploy', 'acme', 'beta', '--local']);
    expect(redeploy.exitCode, redeploy.stderr).toBe(0);
    const { corpus, leaks } = await fleet.leaks.findLeaks();
    expect(corpus.secrets).toBeGreaterThanOrEqual(8);
    expect(corpus.logFiles).toBeGreaterThan(0);
    expect(corpus.childArgv).toBeGreaterThan(0);
    expect(corpus.cmdlines).toBeGreaterThan(0);
    expect(leaks).toEqual([]);
  });
});
