import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { applyEdits, modify } from 'jsonc-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';
import { type HeaderProxy, startHeaderProxy } from '../helpers/header-proxy.js';

/**
 * Clients mcp-fleet did not write, against the template deployed to the local edge: the MCP
 * conformance suite on both wires, and the MCP Inspector CLI in both protocol eras. Everything
 * stays on loopback.
 */

const CONFORMANCE = join(repoRoot, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const INSPECTOR = join(repoRoot, 'node_modules', '.bin', 'mcp-inspector');

/**
 * The scenarios that apply to a tools-only server, per wire, and must pass. The rest of each
 * revision's required set needs tools, prompts or resources that the suite's own test server has
 * (test_image_content, test_sampling, …) and a fleet worker should not ship.
 */
const EXPECTED: Record<'2026-07-28' | '2025-11-25', readonly string[]> = {
  '2026-07-28': [
    'server-stateless',
    'tools-list',
    'tools-call-error',
    'dns-rebinding-protection',
    'caching',
    'prompts-list',
    'resources-list',
    'sep-2164-resource-not-found',
    'server-sse-multiple-streams',
    'input-required-result-unsupported-methods',
    'input-required-result-validate-input',
    'input-required-result-ignore-extra-params',
    'input-required-result-missing-input-response',
    'http-header-validation',
  ],
  '2025-11-25': [
    'server-initialize',
    'ping',
    'tools-list',
    'tools-call-error',
    'dns-rebinding-protection',
    'prompts-list',
    'resources-list',
    'server-session-lifecycle',
  ],
};

/** Scenarios that speak raw HTTP to probe headers, so the suite has no JSON-RPC messages to validate against the schema. */
const NO_WIRE_SCHEMA_CHECK = ['server-stateless', 'dns-rebinding-protection', 'http-header-validation', 'server-sse-multiple-streams'];

/**
 * Checks the suite reports as failed with "Not testable: server does not list the diagnostic
 * tool …": they exercise behaviours (capability rejection, log levels, streamed elicitation) of
 * tools the worker does not have. Each is excused only with that message; any other failure of
 * the same check still fails the test.
 */
const NOT_TESTABLE_WITHOUT_DIAGNOSTIC_TOOLS: Record<string, readonly string[]> = {
  'server-stateless': [
    'sep-2575-server-rejects-undeclared-capability',
    'sep-2575-missing-capability-http-400',
    'sep-2575-http-server-no-independent-requests-on-stream',
    'sep-2575-server-no-log-without-loglevel',
  ],
};

interface ConformanceCheck {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  errorMessage?: string;
}

let fleet: TestFleet;
let proxy: HeaderProxy;
let key = '';
let workDir = '';

beforeAll(async () => {
  fleet = await createTestFleet('independent', ['acme']);
  key = (await fleet.secrets('acme')).get('API_KEY') ?? '';
  workDir = join(fleet.dir, '..', 'independent');
  await mkdir(workDir, { mode: 0o700 });
  // The suite cannot send Authorization; the proxy adds acme's key, and names the worker for the
  // edge by header so that the Host the suite sends (its own, or a rebinding attacker's) reaches the worker untouched.
  proxy = await startHeaderProxy(
    `http://127.0.0.1:${fleet.edge.info.port}`,
    { authorization: `Bearer ${key}`, 'x-mcp-fleet-worker': 'acme' },
    // tools-call-error calls test_error_handling; fetch_upstream fails the same way (isError and a
    // message) for a client without an upstream, as acme is here.
    { renameTools: { test_error_handling: 'fetch_upstream' } },
  );
  // The suite's legitimate page is the proxy's own localhost origin; it is allowed the way an
  // operator allows a browser client, in the client's env section.
  const configPath = join(fleet.dir, 'wrangler.jsonc');
  const text = await readFile(configPath, 'utf8');
  const origins = `http://localhost:${proxy.port} http://127.0.0.1:${proxy.port}`;
  let edited = applyEdits(text, modify(text, ['env', 'acme', 'vars', 'ALLOWED_ORIGINS'], origins, {}));
  // The suites send hundreds of requests a minute as one caller (the key): a limit an operator
  // would raise for such a client, so that what is measured is the protocol, not the rate limit.
  edited = applyEdits(edited, modify(edited, ['env', 'acme', 'ratelimits', 0, 'simple', 'limit'], 100_000, {}));
  edited = applyEdits(edited, modify(edited, ['env', 'acme', 'vars', 'RATE_LIMIT'], '100000/60', {}));
  await writeFile(configPath, edited);
  const deployed = await fleet.cli(['deploy', 'acme', '--local']);
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.stdout}\n${deployed.stderr}`);
}, 300_000);

afterAll(async () => {
  await proxy?.close();
  await closeTestFleet(fleet);
});

/** Runs the suite's required set for `revision` on that revision's wire; returns each scenario's checks. */
async function runConformance(revision: string): Promise<Map<string, ConformanceCheck[]>> {
  const out = join(workDir, `conformance-${revision}`);
  const run = await execa(process.execPath, [CONFORMANCE, 'server', '--url', `${proxy.url}/mcp`, '--requirements', revision, '-o', out], {
    reject: false,
    all: true,
    timeout: 300_000,
    env: { NO_COLOR: '1' },
  });
  fleet.leaks.record(`conformance ${revision}`, String(run.all));
  const scenarios = new Map<string, ConformanceCheck[]>();
  for (const entry of await readdir(out)) {
    const name = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(entry)?.[1];
    if (name === undefined) continue;
    const text = await readFile(join(out, entry, 'checks.json'), 'utf8');
    fleet.leaks.record(`conformance ${revision} ${name}`, text);
    scenarios.set(name, JSON.parse(text) as ConformanceCheck[]);
  }
  if (scenarios.size === 0) throw new Error(`conformance wrote no results:\n${String(run.all)}`);
  return scenarios;
}

/** The failures of a scenario that count: every FAILURE but the excused not-testable ones. */
function failuresOf(scenario: string, checks: readonly ConformanceCheck[]): string[] {
  const excused = NOT_TESTABLE_WITHOUT_DIAGNOSTIC_TOOLS[scenario] ?? [];
  return checks
    .filter((check) => check.status === 'FAILURE')
    .filter((check) => !(excused.includes(check.id) && (check.errorMessage ?? '').startsWith('Not testable')))
    .map((check) => `${scenario}: ${check.id}: ${check.errorMessage ?? ''}`);
}

describe('MCP conformance suite (0.2.0-alpha.12) through a key-adding proxy', () => {
  it.each(['2026-07-28', '2025-11-25'] as const)('passes every scenario a tools-only server can on the %s wire', async (revision) => {
    const started = performance.now();
    const scenarios = await runConformance(revision);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const passed = [...scenarios]
      .filter(([name, checks]) => checks.length > 0 && failuresOf(name, checks).length === 0)
      .map(([name]) => name);
    console.log(`conformance ${revision}: ${passed.length} of ${scenarios.size} scenarios passed in ${seconds} s: ${passed.join(', ')}`);

    for (const name of EXPECTED[revision]) {
      const checks = scenarios.get(name);
      expect(checks, `${name} did not run`).toBeDefined();
      expect(checks?.length, `${name} ran no checks`).toBeGreaterThan(0);
      expect(failuresOf(name, checks ?? []), name).toEqual([]);
    }
    // Whatever a scenario asked, every message the worker sent matched the revision's schema.
    for (const [name, checks] of scenarios) {
      for (const check of checks.filter((entry) => entry.id === 'wire-schema-valid')) {
        expect(check.status, `${name}: ${check.errorMessage ?? ''}`).toBe('SUCCESS');
      }
    }
    if (revision === '2026-07-28') {
      for (const name of EXPECTED[revision].filter((entry) => !NO_WIRE_SCHEMA_CHECK.includes(entry))) {
        const schema = scenarios.get(name)?.find((check) => check.id === 'wire-schema-valid');
        expect(schema?.status, `${name}: wire-schema-valid`).toBe('SUCCESS');
      }
    }
  });
});

/** The local edge's admin API (request log, analytics points). */
async function admin(method: string, path: string): Promise<unknown> {
  const response = await fetch(`${fleet.edge.info.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${fleet.edge.info.token}` },
  });
  const body = (await response.json()) as { success: boolean; result: unknown };
  if (!body.success) throw new Error(`edge admin ${method} ${path} failed`);
  return body.result;
}

/** Runs the Inspector CLI; the key reaches it in a 0600 config file, never on its command line. */
async function inspector(
  era: 'modern' | 'legacy',
  args: readonly string[],
  withKey = true,
): Promise<{ exitCode: number; json: unknown; output: string }> {
  const config = join(workDir, `inspector-${era}-${withKey ? 'key' : 'nokey'}.json`);
  const server: Record<string, unknown> = { type: 'http', url: `${fleet.workerUrl('acme')}/mcp` };
  if (withKey) server.headers = { Authorization: `Bearer ${key}` };
  await writeFile(config, JSON.stringify({ mcpServers: { acme: server } }), { mode: 0o600 });
  const run = await execa(
    process.execPath,
    [INSPECTOR, '--cli', '--config', config, '--server', 'acme', '--protocol-era', era, '--format', 'json', ...args],
    {
      // Node's fetch cannot resolve *.localhost on its own; the README documents this hook.
      env: { NODE_OPTIONS: `--import ${join(repoRoot, 'dist', 'localhost-resolver.js')}`, CI: '1', NO_COLOR: '1', HOME: workDir },
      reject: false,
      all: true,
      timeout: 60_000,
    },
  );
  const output = String(run.all);
  fleet.leaks.record(`inspector ${era} ${args.join(' ')}`, output);
  let json: unknown;
  try {
    json = JSON.parse(String(run.stdout));
  } catch {
    json = undefined;
  }
  return { exitCode: run.exitCode ?? -1, json, output };
}

describe('MCP Inspector CLI', () => {
  it.each(['modern', 'legacy'] as const)('lists the tools and calls whoami with --protocol-era %s', async (era) => {
    const listed = await inspector(era, ['--method', 'tools/list']);
    expect(listed.exitCode, listed.output).toBe(0);
    const tools = (listed.json as { result: { tools: { name: string }[] } }).result.tools.map((tool) => tool.name);
    expect(tools.toSorted()).toEqual(['fetch_upstream', 'whoami']);

    await admin('DELETE', '/analytics?script=acme');
    const called = await inspector(era, ['--method', 'tools/call', '--tool-name', 'whoami']);
    expect(called.exitCode, called.output).toBe(0);
    expect(called.json).toMatchObject({ result: { structuredContent: { client: 'acme' } } });
    // The worker's own analytics say which revision the Inspector spoke.
    // Points are posted after each response (waitUntil), so the last one may still be on its way.
    const spoken = era === 'modern' ? '2026-07-28' : '2025-11-25';
    const revisionsSeen = async () => {
      const points = (await admin('GET', '/analytics?script=acme')) as { blobs: (string | null)[] }[];
      return new Set(points.filter((point) => point.blobs[2] === 'POST').map((point) => point.blobs[3]));
    };
    await expect.poll(async () => (await revisionsSeen()).has(spoken), { timeout: 5000 }).toBe(true);
    const revisions = await revisionsSeen();
    expect(revisions).not.toContain(era === 'modern' ? '2025-11-25' : '2026-07-28');
  });

  it.each(['modern', 'legacy'] as const)('is refused without the key (--protocol-era %s)', async (era) => {
    const refused = await inspector(era, ['--method', 'tools/list', '--stored-auth-only'], false);
    // Exit 3 is the Inspector's "the server refused (401/403)".
    expect(refused.exitCode, refused.output).toBe(3);
    expect(refused.output).not.toContain('whoami');
  });
});

describe('secrets', () => {
  it('no key or token appears in any output, log or command line of this file', async () => {
    const { leaks, corpus } = await fleet.leaks.findLeaks();
    expect(corpus.secrets).toBeGreaterThan(0);
    expect(leaks).toEqual([]);
  });
});
