import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { localChildEnv } from '../../src/cloudflare/local-target.js';
import { type RunningEdge, startEdge } from '../../src/local/edge.js';
import { edgeFilePath } from '../../src/local/lifecycle/edge-file.js';
import { mapWithConcurrency } from '../../src/util/concurrency.js';
import { type CliResult, linkNodeModules, repoRoot, runCli, tempDir } from '../helpers/cli.js';
import { scaffoldTemplateProject } from '../helpers/template.js';

/**
 * `mcp-fleet verify` against real workers on one local edge: three template clients that must
 * pass, and deliberately broken workers (test/fixtures/broken-workers/worker.js, one fault per
 * MODE) whose failures must each be caught with a precise reason and exit 1.
 */

const FIXTURE = join(repoRoot, 'test', 'fixtures', 'broken-workers', 'worker.js');
const wranglerBin = join(repoRoot, 'node_modules', 'wrangler', 'bin', 'wrangler.js');

interface ClientSpec {
  name: string;
  /** Deploy the broken fixture with this MODE instead of the template. */
  mode?: string;
  vars?: Record<string, string>;
  /** Secrets deployed to the worker (API_KEY and UPSTREAM_TOKEN unless given). */
  deployed?: Record<string, string>;
  /** API_KEY written to .secrets.<client> (the deployed one unless given). */
  fileKey?: string;
}

function newKey(): string {
  return `mcpf_${randomBytes(24).toString('base64url')}`;
}

function wranglerConfig(projectName: string, clients: readonly ClientSpec[]): string {
  const env: Record<string, unknown> = {};
  for (const client of clients) {
    env[client.name] = {
      name: client.name,
      ...(client.mode ? { main: 'broken-worker.js' } : {}),
      analytics_engine_datasets: [{ binding: 'ANALYTICS', dataset: `${client.name.replaceAll('-', '_')}_metrics` }],
      vars: { CLIENT_ID: client.name, ...(client.mode ? { MODE: client.mode } : {}), ...client.vars },
    };
  }
  return JSON.stringify({ name: projectName, main: 'src/index.ts', compatibility_date: '2026-11-01', env }, null, 2);
}

interface Project {
  dir: string;
  keys: Map<string, string>;
}

/** A template project with the given clients, secrets files and (for broken ones) the fixture worker. */
async function makeProject(
  dir: string,
  projectName: string,
  clients: readonly ClientSpec[],
  secretsDir: string,
): Promise<Project & { secretsJson: Map<string, string> }> {
  await scaffoldTemplateProject(dir, projectName);
  await linkNodeModules(dir);
  await copyFile(FIXTURE, join(dir, 'broken-worker.js'));
  await writeFile(join(dir, 'wrangler.jsonc'), wranglerConfig(projectName, clients));
  const keys = new Map<string, string>();
  const secretsJson = new Map<string, string>();
  for (const client of clients) {
    const deployed = client.deployed ?? { API_KEY: newKey(), UPSTREAM_TOKEN: `up_${randomBytes(8).toString('hex')}` };
    const fileKey = client.fileKey ?? deployed.API_KEY ?? '';
    keys.set(client.name, fileKey);
    await writeFile(join(dir, `.secrets.${client.name}`), `API_KEY=${fileKey}\nUPSTREAM_TOKEN=${deployed.UPSTREAM_TOKEN ?? 'x'}\n`, {
      mode: 0o600,
    });
    const jsonPath = join(secretsDir, `${projectName}.${client.name}.json`);
    await writeFile(jsonPath, JSON.stringify(deployed), { mode: 0o600 });
    secretsJson.set(client.name, jsonPath);
  }
  return { dir, keys, secretsJson };
}

async function deployAll(project: { dir: string; secretsJson: Map<string, string> }, childEnv: Record<string, string>): Promise<void> {
  const results = await mapWithConcurrency([...project.secretsJson], 4, async ([client, secrets]) => {
    const result = await execa(process.execPath, [wranglerBin, 'deploy', '--env', client, '--secrets-file', secrets], {
      cwd: project.dir,
      env: { ...childEnv, CI: '1', NO_COLOR: '1', WRANGLER_SEND_METRICS: 'false' },
      all: true,
      reject: false,
      timeout: 180_000,
    });
    if (result.exitCode !== 0) throw new Error(`wrangler deploy --env ${client} failed:\n${String(result.all)}`);
  });
  const failed = results.filter((result) => !result.ok);
  if (failed.length > 0) throw new Error(failed.map((result) => (result.ok ? '' : String(result.error))).join('\n'));
}

interface VerifyJson {
  ok: boolean;
  ms: number;
  protocol: string;
  clients: {
    client: string;
    url: string;
    ok: boolean;
    checks: { name: string; ok: boolean; ms: number; detail: string; skipped?: boolean; advisory?: boolean }[];
    mcp?: { name: string; version: string; protocolVersion: string; tools: string[] };
    protocols?: {
      generation: string;
      required: boolean;
      ok: boolean;
      unsupported?: boolean;
      revisions: string[];
      protocolVersion?: string;
    }[];
  }[];
}

const outputs: string[] = [];

/**
 * The broken fixture speaks only 2025 revisions and ignores Origin, as 2025-template workers do;
 * requiring only what it speaks keeps each of its deployments failing exactly one check.
 */
function verifyLegacy(dir: string, args: readonly string[]): Promise<CliResult & { json: VerifyJson | undefined }> {
  return verify(dir, [...args, '--protocol', 'legacy']);
}

async function verify(dir: string, args: readonly string[]): Promise<CliResult & { json: VerifyJson | undefined }> {
  const result = await runCli(['verify', ...args], { cwd: dir });
  outputs.push(result.stdout, result.stderr);
  let json: VerifyJson | undefined;
  try {
    json = JSON.parse(result.stdout) as VerifyJson;
  } catch {
    json = undefined;
  }
  return { ...result, json };
}

function checkOf(
  json: VerifyJson | undefined,
  client: string,
  name: string,
): { ok: boolean; detail: string; ms: number; skipped?: boolean } {
  const entry = json?.clients.find((c) => c.client === client);
  const check = entry?.checks.find((c) => c.name === name);
  if (!check) throw new Error(`no ${name} check for ${client} in ${JSON.stringify(json)}`);
  return check;
}

let edge: RunningEdge;
let good: Project;
let broken: Project;
const cleanups: (() => Promise<void>)[] = [];

const GOOD = ['acme', 'beta', 'gamma'];

beforeAll(async () => {
  const root = await tempDir('mcp-fleet-verify-');
  cleanups.push(root.cleanup);
  const secretsDir = join(root.dir, 'deploy-secrets');
  await mkdir(secretsDir, { mode: 0o700 });
  const goodDir = join(root.dir, 'good');
  const brokenDir = join(root.dir, 'broken');
  await mkdir(goodDir);
  await mkdir(brokenDir);

  edge = await startEdge({ projectDir: goodDir, port: 0 });
  // The broken fleet is another project on the same edge: it only needs the edge's connection file.
  await mkdir(join(brokenDir, '.mcp-fleet', 'local'), { recursive: true, mode: 0o700 });
  await copyFile(edgeFilePath(goodDir), edgeFilePath(brokenDir));
  const childEnv = localChildEnv(edge.info);

  const sharedKey = newKey();
  const twinAKey = newKey();
  const goodProject = await makeProject(
    goodDir,
    'good-fleet',
    GOOD.map((name) => ({ name })),
    secretsDir,
  );
  const brokenProject = await makeProject(
    brokenDir,
    'broken-fleet',
    [
      { name: 'no-auth', mode: 'no-auth' },
      { name: 'any-key', mode: 'any-key' },
      { name: 'not-ready', mode: 'ready-503' },
      { name: 'html-health', mode: 'health-html' },
      { name: 'who-other', mode: 'whoami-other', vars: { WHOAMI: 'acme' } },
      { name: 'hangs', mode: 'hang' },
      { name: 'echo-key', mode: 'echo-key' },
      // twin-b's worker also takes twin-a's key: the second client's worker accepts the first client's key.
      { name: 'twin-a', mode: 'ok', deployed: { API_KEY: twinAKey, UPSTREAM_TOKEN: 'u1' } },
      { name: 'twin-b', mode: 'also-accepts', deployed: { API_KEY: newKey(), UPSTREAM_TOKEN: 'u2', EXTRA_KEY: twinAKey } },
      // Two template workers deployed with one key, copied between secrets files.
      { name: 'shared-a', deployed: { API_KEY: sharedKey, UPSTREAM_TOKEN: 'u3' } },
      { name: 'shared-b', deployed: { API_KEY: sharedKey, UPSTREAM_TOKEN: 'u4' } },
    ],
    secretsDir,
  );
  await Promise.all([deployAll(goodProject, childEnv), deployAll(brokenProject, childEnv)]);
  good = goodProject;
  broken = brokenProject;
}, 600_000);

afterAll(async () => {
  try {
    // The test below checks what had been printed when it ran; this checks everything every test printed.
    if (good && broken) expectNoKeyIn(outputs);
  } finally {
    await edge?.stop();
    for (const cleanup of cleanups) await cleanup();
  }
});

function expectNoKeyIn(texts: readonly string[]): void {
  const everything = texts.join('\n');
  for (const key of [...good.keys.values(), ...broken.keys.values()]) expect(everything).not.toContain(key);
  // The wrong key verify makes up is random per run; nothing shaped like it may show either.
  expect(everything).not.toMatch(/mcpf_wrong_/);
  expect(everything).not.toMatch(/Bearer\s+\S{8,}/);
  // Nor anything shaped like the keys this test generates.
  expect(everything).not.toMatch(/mcpf_[A-Za-z0-9_-]{20,}/);
}

describe('verify against the template on the local edge', () => {
  test('verify --all passes for 3 clients, every check, exit 0', async () => {
    const result = await verify(good.dir, ['--all', '--local', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const json = result.json!;
    expect(json.ok).toBe(true);
    expect(json.clients.map((c) => c.client)).toEqual(GOOD);
    for (const client of json.clients) {
      expect(client.ok).toBe(true);
      expect(client.url).toBe(`http://${client.client}.localhost:${edge.info.port}`);
      expect(client.checks.map((c) => c.name)).toEqual(['health', 'ready', 'auth', 'origin', 'mcp', 'identity', 'isolation']);
      for (const check of client.checks) {
        expect(check.ok, `${client.client} ${check.name}: ${check.detail}`).toBe(true);
        expect(typeof check.ms).toBe('number');
        expect(check.skipped).toBeUndefined();
        expect(check.advisory).toBeUndefined();
      }
      expect(client.mcp?.protocolVersion).toBe('2026-07-28');
      expect(client.mcp?.tools).toEqual(expect.arrayContaining(['whoami', 'fetch_upstream']));
      // Both generations, each with the revisions the worker serves.
      expect(client.protocols).toEqual([
        expect.objectContaining({
          generation: 'modern',
          required: true,
          ok: true,
          revisions: ['2026-07-28'],
          protocolVersion: '2026-07-28',
        }),
        expect.objectContaining({
          generation: 'legacy',
          required: true,
          ok: true,
          revisions: ['2025-11-25', '2025-06-18', '2025-03-26'],
          protocolVersion: '2025-11-25',
        }),
      ]);
    }
    expect(json.protocol).toBe('both');
    expect(checkOf(json, 'acme', 'mcp').detail).toBe(
      'mcp-fleet-worker 0.2.0: modern 2026-07-28; legacy 2025-11-25, 2025-06-18, 2025-03-26; 2 tools (whoami, fetch_upstream)',
    );
    expect(checkOf(json, 'acme', 'identity').detail).toBe('whoami names "acme" (modern and legacy)');
    expect(checkOf(json, 'acme', 'origin').detail).toBe('foreign Origin → 403');
    expect(checkOf(json, 'acme', 'auth').detail).toBe('no credentials → 401, wrong key → 401');
    expect(checkOf(json, 'acme', 'isolation').detail).toBe("beta's key → 401");
    expect(checkOf(json, 'gamma', 'isolation').detail).toBe("acme's key → 401");
  });

  test('human output: one line per client, a mark per check, and the summary', async () => {
    const result = await verify(good.dir, ['acme', 'beta', '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    const acme = lines.find((line) => line.includes(' acme '));
    expect(acme).toMatch(/✔ health \d+ms +✔ ready \d+ms +✔ auth \d+ms +✔ origin \d+ms +✔ mcp \d+ms +✔ identity \d+ms +✔ isolation \d+ms/);
    // Under each client, what MCP it speaks.
    expect(lines[lines.indexOf(acme as string) + 1]?.trim()).toBe('speaks modern 2026-07-28; legacy 2025-11-25, 2025-06-18, 2025-03-26');
    expect(result.stdout).toMatch(/2 clients verified, 0 failed in \d+\.\d s/);
  });

  test('--protocol modern or legacy requires that generation only, and the report still names both', async () => {
    for (const protocol of ['modern', 'legacy'] as const) {
      const result = await verify(good.dir, ['acme', '--local', '--json', '--protocol', protocol]);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.json!.protocol).toBe(protocol);
      expect(result.json!.clients[0]!.protocols!.map((entry) => [entry.generation, entry.required, entry.ok])).toEqual([
        ['modern', protocol === 'modern', true],
        ['legacy', protocol === 'legacy', true],
      ]);
    }
  });

  test('a single client gets no isolation check', async () => {
    const result = await verify(good.dir, ['beta', '--local', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json!.clients[0]!.checks.map((c) => c.name)).not.toContain('isolation');
  });

  test('the MCP Inspector CLI lists the same tools as verify', async () => {
    const url = `http://acme.localhost:${edge.info.port}/mcp`;
    const key = good.keys.get('acme')!;
    const inspector = await execa(
      process.execPath,
      [
        join(repoRoot, 'node_modules', '.bin', 'mcp-inspector'),
        '--cli',
        url,
        '--transport',
        'http',
        '--method',
        'tools/list',
        '--header',
        `Authorization: Bearer ${key}`,
      ],
      {
        env: { NODE_OPTIONS: `--import ${join(repoRoot, 'dist', 'localhost-resolver.js')}`, CI: '1', NO_COLOR: '1' },
        reject: false,
        timeout: 60_000,
      },
    );
    expect(inspector.exitCode, String(inspector.stderr)).toBe(0);
    const listed = JSON.parse(String(inspector.stdout)) as { tools: { name: string }[] };
    const ours = await verify(good.dir, ['acme', '--local', '--json']);
    expect(ours.json!.clients[0]!.mcp!.tools.toSorted()).toEqual(listed.tools.map((tool) => tool.name).toSorted());
    expect(listed.tools.length).toBeGreaterThan(0);

    // And it agrees that a missing key is refused (exit 3 on 401/403).
    const refused = await execa(
      process.execPath,
      [join(repoRoot, 'node_modules', '.bin', 'mcp-inspector'), '--cli', url, '--transport', 'http', '--method', 'tools/list'],
      {
        env: { NODE_OPTIONS: `--import ${join(repoRoot, 'dist', 'localhost-resolver.js')}`, CI: '1', NO_COLOR: '1' },
        reject: false,
        timeout: 60_000,
      },
    );
    expect(refused.exitCode).not.toBe(0);
  });
});

describe('verify catches broken workers, each with a precise reason and exit 1', () => {
  test('/mcp served without auth', async () => {
    const result = await verifyLegacy(broken.dir, ['no-auth', '--local', '--json']);
    expect(result.exitCode).toBe(1);
    const auth = checkOf(result.json, 'no-auth', 'auth');
    expect(auth.ok).toBe(false);
    expect(auth.detail).toContain('POST /mcp without credentials answered 200 (expected 401/403): the worker serves MCP without auth');
    expect(checkOf(result.json, 'no-auth', 'health').ok).toBe(true);
    expect(checkOf(result.json, 'no-auth', 'mcp').ok).toBe(true);
  });

  test('a wrong key accepted', async () => {
    const result = await verifyLegacy(broken.dir, ['any-key', '--local', '--json']);
    expect(result.exitCode).toBe(1);
    const auth = checkOf(result.json, 'any-key', 'auth');
    expect(auth.ok).toBe(false);
    expect(auth.detail).toBe('POST /mcp with a wrong key answered 200 (expected 401/403): the worker accepts a key that is not its own');
  });

  test('/ready answering 503 names what is missing', async () => {
    const result = await verifyLegacy(broken.dir, ['not-ready', '--local', '--json']);
    expect(result.exitCode).toBe(1);
    const ready = checkOf(result.json, 'not-ready', 'ready');
    expect(ready.ok).toBe(false);
    expect(ready.detail).toBe('GET /ready answered 503: missing UPSTREAM_TOKEN');
    expect(result.json!.clients[0]!.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['ready']);
  });

  test('/health answering HTML', async () => {
    const result = await verifyLegacy(broken.dir, ['html-health', '--local', '--json']);
    expect(result.exitCode).toBe(1);
    const health = checkOf(result.json, 'html-health', 'health');
    expect(health.ok).toBe(false);
    expect(health.detail).toBe('GET /health answered 200 with text/html, not JSON (expected {"status":"ok"})');
  });

  test('whoami naming another client', async () => {
    const result = await verifyLegacy(broken.dir, ['who-other', '--local', '--json']);
    expect(result.exitCode).toBe(1);
    const identity = checkOf(result.json, 'who-other', 'identity');
    expect(identity.ok).toBe(false);
    expect(identity.detail).toBe('whoami names "acme", expected "who-other": this worker runs another client\'s code or configuration');
  });

  test("one client's key accepted by another client's worker", async () => {
    const result = await verifyLegacy(broken.dir, ['twin-a', 'twin-b', '--local', '--json']);
    expect(result.exitCode).toBe(1);
    expect(checkOf(result.json, 'twin-a', 'isolation')).toMatchObject({ ok: true, detail: "twin-b's key → 401" });
    const isolation = checkOf(result.json, 'twin-b', 'isolation');
    expect(isolation.ok).toBe(false);
    expect(isolation.detail).toBe(
      "POST /mcp with twin-a's key answered 200 (expected 401/403): this worker lets twin-a in (shared key, or another client's secrets on this worker)",
    );
    // Everything else about twin-b is fine: the leak is the only failure.
    expect(
      result
        .json!.clients.find((c) => c.client === 'twin-b')!
        .checks.filter((c) => !c.ok)
        .map((c) => c.name),
    ).toEqual(['isolation']);
  });

  test('two clients sharing one key', async () => {
    const result = await verifyLegacy(broken.dir, ['shared-a', 'shared-b', '--local', '--json']);
    expect(result.exitCode).toBe(1);
    for (const [client, other] of [
      ['shared-a', 'shared-b'],
      ['shared-b', 'shared-a'],
    ] as const) {
      const isolation = checkOf(result.json, client, 'isolation');
      expect(isolation.ok).toBe(false);
      expect(isolation.detail).toBe(
        `POST /mcp with ${other}'s key answered 200 (expected 401/403): this client and ${other} have the same API_KEY in their secrets files`,
      );
    }
  });

  test('a worker that hangs is cut off at the timeout', async () => {
    const started = performance.now();
    const result = await verifyLegacy(broken.dir, ['hangs', '--local', '--json', '--timeout', '1.5']);
    const seconds = (performance.now() - started) / 1000;
    expect(result.exitCode).toBe(1);
    expect(checkOf(result.json, 'hangs', 'health')).toMatchObject({ ok: false, detail: 'GET /health: no answer within 1.5 s' });
    expect(checkOf(result.json, 'hangs', 'auth').detail).toContain('POST /mcp without credentials: no answer within 1.5 s');
    expect(checkOf(result.json, 'hangs', 'mcp')).toMatchObject({
      ok: false,
      detail: "MCP initialize with the client's key failed: no answer within 1.5 s",
    });
    expect(checkOf(result.json, 'hangs', 'ready').ok).toBe(true);
    // Checks run side by side: one timeout, not one per check (plus start-up of the CLI).
    expect(seconds).toBeLessThan(15);
  });

  test('a worker that echoes the presented key back: verify reports the refusal, never the key', async () => {
    const result = await verifyLegacy(broken.dir, ['echo-key', '--local', '--json']);
    expect(result.exitCode).toBe(1);
    const mcp = checkOf(result.json, 'echo-key', 'mcp');
    expect(mcp.ok).toBe(false);
    expect(mcp.detail).toBe('MCP initialize with the client\'s key failed: HTTP 401: {"error":"unauthorized","presented":"[redacted]"}');
    expect(result.stdout + result.stderr).not.toContain(broken.keys.get('echo-key')!);
  });

  test('verify --all over the broken fleet reports every client and exits 1', async () => {
    const result = await verifyLegacy(broken.dir, ['--all', '--local', '--json', '--timeout', '1.5']);
    expect(result.exitCode).toBe(1);
    const json = result.json!;
    expect(json.ok).toBe(false);
    expect(json.clients).toHaveLength(11);
    const failing = json.clients.filter((c) => !c.ok).map((c) => c.client);
    expect(failing.toSorted()).toEqual([
      'any-key',
      'echo-key',
      'hangs',
      'html-health',
      'no-auth',
      'not-ready',
      'shared-a',
      'shared-b',
      'who-other',
    ]);
    // The ring tries shared-b with no-auth's key, but the copied key is still caught, locally.
    expect(checkOf(json, 'shared-b', 'isolation').detail).toBe("this client's API_KEY is also in the secrets file of shared-a");
    expect(result.stderr).toMatch(/11 clients verified, \d+ failed in/);
  });
});

describe('bad input exits 2 before any request', () => {
  test('unknown client', async () => {
    const result = await verify(good.dir, ['nobody', '--local']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('unknown client: nobody');
  });

  test('bad --timeout and --concurrency name the flag', async () => {
    const timeout = await verify(good.dir, ['acme', '--local', '--timeout', 'soon']);
    expect(timeout.exitCode).toBe(2);
    expect(timeout.stderr).toContain('--timeout soon');
    const concurrency = await verify(good.dir, ['acme', '--local', '--concurrency', '0']);
    expect(concurrency.exitCode).toBe(2);
    expect(concurrency.stderr).toContain('--concurrency 0');
  });

  test('bad --protocol names the flag and the choices', async () => {
    const result = await verify(good.dir, ['acme', '--local', '--protocol', 'newest']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--protocol newest: expected modern, legacy or both');
  });

  test('bad --url names the flag', async () => {
    const result = await verify(good.dir, ['acme', '--local', '--url', 'acme']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--url "acme": expected <client>=<url>');
  });

  test('--url overrides the target URL', async () => {
    const result = await verify(good.dir, ['acme', '--url', `acme=http://beta.localhost:${edge.info.port}`, '--json']);
    // acme's key on beta's worker: MCP refused, identity not run — proof the override was used, without a token.
    expect(result.exitCode).toBe(1);
    expect(result.json!.clients[0]!.url).toBe(`http://beta.localhost:${edge.info.port}`);
    expect(checkOf(result.json, 'acme', 'mcp').detail).toContain('HTTP 401');
  });

  test('no secrets file, or no key in it', async () => {
    const { dir, cleanup } = await tempDir('mcp-fleet-verify-input-');
    cleanups.push(cleanup);
    await writeFile(
      join(dir, 'wrangler.jsonc'),
      JSON.stringify({ name: 'x', main: 'src/index.ts', env: { acme: { name: 'acme' }, beta: { name: 'beta' } } }),
    );
    await writeFile(join(dir, '.secrets.beta'), 'API_KEY=\nUPSTREAM_TOKEN=t\n', { mode: 0o600 });
    // No edge for this project and no Cloudflare token: a request would fail differently, so exit 2 proves none was made.
    const result = await runCli(['verify', '--all', '--url', 'acme=http://127.0.0.1:9', '--url', 'beta=http://127.0.0.1:9'], { cwd: dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('client "acme": no secrets file');
    expect(result.stderr).toContain('client "beta": API_KEY is empty');
  });
});

test('no key ever appears in verify output', async () => {
  // Output of its own, passing and failing, human and JSON, so the check never depends on which tests ran before it.
  expect((await verify(good.dir, ['--all', '--local', '--json'])).exitCode).toBe(0);
  expect((await verify(good.dir, ['--all', '--local'])).exitCode).toBe(0);
  expect((await verify(broken.dir, ['--all', '--local', '--json', '--timeout', '1.5'])).exitCode).toBe(1);
  expect((await verify(broken.dir, ['--all', '--local', '--timeout', '1.5'])).exitCode).toBe(1);
  expect(outputs.join('\n').length).toBeGreaterThan(1000);
  expectNoKeyIn(outputs);
});
