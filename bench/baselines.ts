import { spawnSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type EdgeInfo, readSecrets, workerUrl, wranglerBin } from './fleet.ts';
import { describeFailure, runTimed } from './measure.ts';

/**
 * "The way it is done today", each as one timed run over all clients, strictly one process (or
 * request) after another:
 *   - a wrangler `secret put` per key, the value on stdin;
 *   - a wrangler `secret bulk <json>` per client;
 *   - a wrangler `deploy --env <client>` per client;
 *   - curl (or Node fetch) against /health, /ready and /mcp per client.
 * wrangler is started as `node <wrangler bin>` (what `npx wrangler` ends up running, without npx's
 * own start-up), from the project directory, pointed at the local edge through its environment.
 */

export interface BaselineContext {
  projectDir: string;
  clients: readonly string[];
  edge: EdgeInfo;
  /** Environment for wrangler (edge URL, token, account). */
  env: NodeJS.ProcessEnv;
  /** Where the bulk JSON files go (private, removed after each run). */
  scratchDir: string;
}

export interface BaselineRun {
  ms: number;
  /** Failed steps ("client-01 API_KEY: exit 1: …"); the run counts as failed when not empty. */
  failures: string[];
}

const WRANGLER_TIMEOUT_MS = 180_000;

function wrangler(ctx: BaselineContext, args: string[], input?: string) {
  return runTimed(process.execPath, [wranglerBin, ...args], { cwd: ctx.projectDir, env: ctx.env, input, timeoutMs: WRANGLER_TIMEOUT_MS });
}

/** One `wrangler secret put KEY --env <client>` per key, value on stdin, in sequence (the set-secrets loop). */
export async function secretPutLoop(ctx: BaselineContext): Promise<BaselineRun> {
  const plan: Array<{ client: string; key: string; value: string }> = [];
  for (const client of ctx.clients) {
    for (const [key, value] of await readSecrets(ctx.projectDir, client)) plan.push({ client, key, value });
  }
  const failures: string[] = [];
  const started = performance.now();
  for (const { client, key, value } of plan) {
    const result = await wrangler(ctx, ['secret', 'put', key, '--env', client], value);
    if (result.exitCode !== 0) failures.push(`${client} ${key}: ${describeFailure(result)}`);
  }
  return { ms: performance.now() - started, failures };
}

/** One `wrangler secret bulk <client>.json --env <client>` per client, in sequence. The JSON files are written before the clock starts. */
export async function secretBulkLoop(ctx: BaselineContext): Promise<BaselineRun> {
  const files: Array<{ client: string; path: string }> = [];
  try {
    for (const client of ctx.clients) {
      const path = join(ctx.scratchDir, `bulk-${client}.json`);
      await writeFile(path, JSON.stringify(Object.fromEntries(await readSecrets(ctx.projectDir, client))), { mode: 0o600 });
      files.push({ client, path });
    }
    const failures: string[] = [];
    const started = performance.now();
    for (const { client, path } of files) {
      const result = await wrangler(ctx, ['secret', 'bulk', path, '--env', client]);
      if (result.exitCode !== 0) failures.push(`${client}: ${describeFailure(result)}`);
    }
    return { ms: performance.now() - started, failures };
  } finally {
    await Promise.all(files.map(({ path }) => rm(path, { force: true })));
  }
}

/** `wrangler deploy --env <client>` for each client, in sequence. */
export async function deployLoop(ctx: BaselineContext): Promise<BaselineRun> {
  const failures: string[] = [];
  const started = performance.now();
  for (const client of ctx.clients) {
    const result = await wrangler(ctx, ['deploy', '--env', client]);
    if (result.exitCode !== 0) failures.push(`${client}: ${describeFailure(result)}`);
  }
  return { ms: performance.now() - started, failures };
}

export type HttpCheckTool = 'curl' | 'node-fetch';

export function httpCheckTool(): HttpCheckTool {
  return spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0 ? 'curl' : 'node-fetch';
}

const MCP_BODY = '{"jsonrpc":"2.0","method":"tools/list","id":1}';

interface Check {
  path: string;
  method: 'GET' | 'POST';
  auth: boolean;
}

const CHECKS: readonly Check[] = [
  { path: '/health', method: 'GET', auth: false },
  { path: '/ready', method: 'GET', auth: false },
  { path: '/mcp', method: 'POST', auth: true },
];

/**
 * GET /health, GET /ready, POST /mcp (tools/list with the client's bearer key) per client, one
 * request after another; each must answer 200. With curl every request is its own curl process;
 * the key reaches curl through a config on stdin (`-K -`), not argv. Without curl: Node fetch
 * from this process, to the edge's path-routed worker URL (Node cannot resolve *.localhost).
 */
export async function httpChecks(ctx: BaselineContext, tool: HttpCheckTool): Promise<BaselineRun> {
  const keys = new Map<string, string>();
  for (const client of ctx.clients) keys.set(client, (await readSecrets(ctx.projectDir, client)).get('API_KEY') ?? '');
  const failures: string[] = [];
  const started = performance.now();
  for (const client of ctx.clients) {
    for (const check of CHECKS) {
      const key = keys.get(client) ?? '';
      const status = tool === 'curl' ? await curlStatus(ctx, client, check, key) : await fetchStatus(ctx, client, check, key);
      if (status !== '200') failures.push(`${client} ${check.method} ${check.path}: ${status}`);
    }
  }
  return { ms: performance.now() - started, failures };
}

async function curlStatus(ctx: BaselineContext, client: string, check: Check, key: string): Promise<string> {
  const url = `${workerUrl(ctx.edge, client)}${check.path}`;
  const args = ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '15', '-K', '-'];
  if (check.method === 'POST') {
    args.push(
      '-X',
      'POST',
      '-H',
      'content-type: application/json',
      '-H',
      'accept: application/json, text/event-stream',
      '--data-raw',
      MCP_BODY,
    );
  }
  args.push(url);
  const config = check.auth ? `header = "Authorization: Bearer ${key}"\n` : '';
  const result = await runTimed('curl', args, { input: config, timeoutMs: 30_000 });
  return result.exitCode === 0 ? result.stdout.trim() : `curl ${describeFailure(result)}`;
}

async function fetchStatus(ctx: BaselineContext, client: string, check: Check, key: string): Promise<string> {
  const template = ctx.edge.workerPathUrlTemplate ?? ctx.edge.workerUrlTemplate;
  const url = `${template.replaceAll('{name}', client)}${check.path}`;
  try {
    const response = await fetch(url, {
      method: check.method,
      headers: {
        ...(check.auth ? { authorization: `Bearer ${key}` } : {}),
        ...(check.method === 'POST' ? { 'content-type': 'application/json', accept: 'application/json, text/event-stream' } : {}),
      },
      body: check.method === 'POST' ? MCP_BODY : undefined,
      signal: AbortSignal.timeout(15_000),
    });
    await response.arrayBuffer();
    return String(response.status);
  } catch (error) {
    return `fetch failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}
