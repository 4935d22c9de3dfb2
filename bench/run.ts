import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BaselineContext, deployLoop, httpChecks, httpCheckTool, secretBulkLoop, secretPutLoop } from './baselines.ts';
import { deployRows } from './deploy-group.ts';
import {
  baseEnv,
  clientNames,
  createProject,
  EdgeAdmin,
  type EdgeInfo,
  EXTRA_SECRET_KEYS,
  hasCommand,
  mustRun,
  readEdgeFile,
  repoRoot,
  runFleet,
  startEdge,
  stopEdgeByPid,
  wranglerBin,
  wranglerEnv,
} from './fleet.ts';
import { detectMemoryMethod, killActiveChildren, type MemoryMethod, runTimed } from './measure.ts';
import { type Options, parseOptions, USAGE } from './options.ts';
import { type BenchMeta, notAvailable, type Row, renderReport, resultsDocument, summarize } from './report.ts';
import { fromResult, type Measured, measureRoundRobin, progress } from './round-robin.ts';
import { LABELS, startupRows, unavailableRows } from './startup.ts';

/**
 * `npm run bench [-- --clients N --latency-ms MS --runs R --slow-runs S]`
 *
 * Times mcp-fleet's fleet-wide commands against the way it is done by hand today, on one local
 * edge with injected API latency, and its start-up against wrangler's. Prints a table and writes
 * bench/results.json.
 */

const started = performance.now();

function formatSeconds(ms: number | null): string {
  return ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`;
}

async function main(): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!existsSync(join(repoRoot, 'dist', 'cli.js'))) {
    process.stderr.write('dist/cli.js is missing: build first (npm run bench does: npm run build && node bench/run.ts)\n');
    return 2;
  }

  const opts = options;
  const clients = clientNames(opts.clients);
  const scratchDir = await mkdtemp(join(tmpdir(), 'mcp-fleet-bench-'));
  const projectDir = join(scratchDir, 'fleet');
  const filesDir = join(scratchDir, 'files');
  await mkdir(filesDir, { mode: 0o700 });
  const env = baseEnv(scratchDir);
  const memoryMethod: MemoryMethod | undefined = detectMemoryMethod();
  const checkTool = httpCheckTool();
  const rows: Row[] = [];
  const notes: string[] = [];
  let edgePid: number | undefined;
  let fatal: unknown;
  const phases: Record<string, number> = {};
  let phaseStart = performance.now();
  const endPhase = (name: string) => {
    const now = performance.now();
    phases[name] = Math.round(now - phaseStart);
    phaseStart = now;
  };

  let cleaning: Promise<void> | undefined;
  let interrupted = false;
  /** Stops the edge (by the pid in its edge.json) and removes the temp dir; once, however often it is called. */
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      if (opts.keep) {
        process.stderr.write(
          `kept ${projectDir}${edgePid ? ` and the edge (pid ${edgePid}); stop it with: node bin/mcp-fleet.js -C ${projectDir} local stop` : ''}\n`,
        );
        return;
      }
      const pid = edgePid ?? (await readEdgeFile(projectDir))?.pid;
      if (pid !== undefined) {
        const how = await stopEdgeByPid(pid).catch((error: unknown) => `not stopped: ${String(error)}`);
        progress(`local edge (pid ${pid}): ${how}`);
      }
      await rm(scratchDir, { recursive: true, force: true });
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping the bench's processes and cleaning up (no results written)…\n`);
    killActiveChildren();
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const wranglerVersion = await runTimed(process.execPath, [wranglerBin, '--version'], { env }).then(
    (result) => result.stdout.trim().split('\n').pop() ?? null,
  );
  const loadAtStart = loadavg().map((value) => Number(value.toFixed(2)));
  try {
    progress(
      `fleet of ${clients.length} clients × ${2 + EXTRA_SECRET_KEYS.length} secrets, API latency ${opts.latencyMs} ms, runs ${opts.runs} (slow baselines ${opts.slowRuns}, mcp-fleet deploy ${opts.deployRuns}), in ${scratchDir}`,
    );
    const [hasLocal, hasDeploy, hasPush, hasVerify] = await Promise.all([
      hasCommand(['local', 'start'], env),
      hasCommand(['deploy'], env),
      hasCommand(['secrets', 'push'], env),
      hasCommand(['verify'], env),
    ]);
    const missing = (name: string) => `mcp-fleet ${name} is not in this build`;

    progress('creating the fleet project (init + add per client)');
    await createProject(projectDir, clients, env);
    endPhase('setup');

    if (opts.only.has('startup')) {
      progress('start-up: mcp-fleet --version, mcp-fleet list, wrangler --version');
      rows.push(...(await startupRows(opts.startupRuns, clients.length, projectDir, env, memoryMethod)));
      endPhase('startup');
    }

    const wantEdge = opts.only.has('deploy') || opts.only.has('secrets') || opts.only.has('verify');
    if (wantEdge && !hasLocal) {
      notes.push(`${missing('local start')}: every row that needs the local edge is not available`);
      for (const group of ['deploy', 'secrets', 'verify'] as const)
        if (opts.only.has(group)) rows.push(...unavailableRows(group, checkTool, missing('local start')));
    } else if (wantEdge) {
      progress(`starting the local edge (--latency-ms ${opts.latencyMs})`);
      const edge: EdgeInfo = await startEdge(projectDir, opts.latencyMs, env);
      edgePid = edge.pid;
      const admin = new EdgeAdmin(edge);
      const ctx: BaselineContext = { projectDir, clients, edge, env: wranglerEnv(scratchDir, edge), scratchDir: filesDir };
      progress(`local edge pid ${edge.pid} on port ${edge.port}`);
      endPhase('edge start');

      // Every measured run works on workers that exist and have their secrets: the state every
      // re-deploy and push in real life starts from.
      progress('warm-up: first deploy of every worker (not measured)');
      const warm = performance.now();
      if (hasDeploy) {
        await mustRun(
          'mcp-fleet deploy --all --local (warm-up)',
          runFleet(projectDir, ['deploy', '--all', '--local'], { env, timeoutMs: 1_800_000 }),
        );
      } else {
        const deployed = await deployLoop(ctx);
        const pushed = await secretBulkLoop(ctx);
        const failures = [...deployed.failures, ...pushed.failures];
        if (failures.length) throw new Error(`warm-up with wrangler failed: ${failures[0]}`);
      }
      endPhase('warm-up');
      notes.push(
        `warm-up (first deploy of ${clients.length} new workers with ${hasDeploy ? 'mcp-fleet deploy --all' : 'wrangler deploy + secret bulk, in sequence'}): ${((performance.now() - warm) / 1000).toFixed(1)} s, not in the table`,
      );

      const fleetOp = (label: string, args: string[], available: boolean, runs = opts.runs): Measured | undefined =>
        available
          ? {
              label,
              runs,
              countApi: true,
              run: async () => fromResult(await runFleet(projectDir, args, { env, timeoutMs: 900_000 })),
            }
          : undefined;

      if (opts.only.has('deploy')) {
        if (hasDeploy) rows.push(...(await deployRows(ctx, admin, opts, env)));
        else rows.push(...unavailableRows('deploy', checkTool, missing('deploy')));
        endPhase('deploy');
      }

      if (opts.only.has('secrets')) {
        progress('secrets: wrangler secret put per key, wrangler secret bulk per client, mcp-fleet secrets push --all');
        const putLoop: Measured = { label: LABELS.putLoop, runs: opts.slowRuns, countApi: true, run: () => secretPutLoop(ctx) };
        const bulkLoop: Measured = { label: LABELS.bulkLoop, runs: opts.slowRuns, countApi: true, run: () => secretBulkLoop(ctx) };
        const push = fleetOp('mcp-fleet secrets push --all --local', ['secrets', 'push', '--all', '--local'], hasPush);
        const sides = await measureRoundRobin(push ? [putLoop, bulkLoop, push] : [putLoop, bulkLoop], admin, clients);
        const fleetSide = sides[2] ?? notAvailable('mcp-fleet secrets push --all --local', missing('secrets push'));
        rows.push({ id: 'secrets-put', operation: 'secrets push --all', unit: 'ms', baseline: sides[0]!, fleet: fleetSide });
        rows.push({ id: 'secrets-bulk', operation: 'secrets push --all', unit: 'ms', baseline: sides[1]!, fleet: fleetSide });
        endPhase('secrets');
      }

      if (opts.only.has('verify')) {
        progress(`verify: ${checkTool} checks per client vs mcp-fleet verify --all`);
        const baseline: Measured = {
          label: LABELS.checks(checkTool),
          runs: opts.runs,
          countApi: true,
          run: () => httpChecks(ctx, checkTool),
        };
        const fleet = fleetOp('mcp-fleet verify --all --local', ['verify', '--all', '--local'], hasVerify);
        const [b, f] = await measureRoundRobin(fleet ? [baseline, fleet] : [baseline], admin, clients);
        rows.push({
          id: 'verify',
          operation: 'verify --all',
          unit: 'ms',
          baseline: b!,
          fleet: f ?? notAvailable('mcp-fleet verify --all --local', missing('verify')),
          note: 'mcp-fleet verify checks more per client (auth refused without and with a wrong key, an MCP session, identity, key isolation)',
        });
        endPhase('verify');
      }
    }
  } catch (error) {
    fatal = error;
  } finally {
    await cleanup();
    endPhase('cleanup');
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  if (interrupted) return 130;
  const totalMs = performance.now() - started;
  const summaries = rows.map(summarize);
  const meta: BenchMeta = {
    date: new Date().toISOString(),
    clients: opts.clients,
    secretsPerClient: 2 + EXTRA_SECRET_KEYS.length,
    latencyMs: opts.latencyMs,
    runs: opts.runs,
    slowRuns: opts.slowRuns,
    deployRuns: opts.deployRuns,
    baselineClients: opts.baselineClients,
    startupRuns: opts.startupRuns,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    loadAverageAtStart: loadAtStart,
    wranglerVersion,
    httpChecks: checkTool,
    memoryMethod:
      memoryMethod === 'gnu-time'
        ? '/usr/bin/time -f %M (max RSS of the child, KB)'
        : memoryMethod === 'proc-vmhwm'
          ? '/proc/<pid>/status VmHWM polled every 5 ms'
          : 'not measured',
    totalMs: Math.round(totalMs),
    phasesMs: phases,
    notes: [
      ...notes,
      'times are wall clock from the first process start to the last process end of the operation',
      'wrangler runs as `node node_modules/wrangler/bin/wrangler.js` (no npx start-up cost in the baselines)',
      "API req/client: median over clients of API requests naming that client's worker, per run (edge request log)",
      ...(fatal ? [`stopped early: ${fatal instanceof Error ? fatal.message : String(fatal)}`] : []),
    ],
  };
  const resultsPath = join(repoRoot, 'bench', 'results.json');
  await writeFile(resultsPath, `${JSON.stringify(resultsDocument(meta, summaries), null, 2)}\n`);

  process.stdout.write(
    `\nmcp-fleet bench: ${opts.clients} clients × ${meta.secretsPerClient} secrets, API latency ${opts.latencyMs} ms, ${cpus().length} CPUs, wrangler ${wranglerVersion ?? '?'}\n`,
  );
  process.stdout.write(
    `ratio = baseline median / mcp-fleet median (above 1: mcp-fleet is faster or smaller); runs b/f = successful runs of baseline/mcp-fleet\n\n`,
  );
  process.stdout.write(`${renderReport(summaries)}\n\n`);
  for (const note of meta.notes) process.stdout.write(`- ${note}\n`);
  for (const summary of summaries) if (summary.note) process.stdout.write(`- ${summary.operation}: ${summary.note}\n`);
  for (const summary of summaries) {
    if (!summary.perClientMs) continue;
    const show = (ms: number | null) => (ms === null ? '—' : `${ms} ms`);
    process.stdout.write(
      `- ${summary.operation}, time per client (${opts.clients} clients): baseline ${show(summary.perClientMs.baseline)}, mcp-fleet ${show(summary.perClientMs.fleet)}\n`,
    );
  }
  const apiTimes = summaries
    .filter((summary) => summary.apiTimeMs.baseline !== null || summary.apiTimeMs.fleet !== null)
    .map((summary) => `${summary.id} ${formatSeconds(summary.apiTimeMs.baseline)} / ${formatSeconds(summary.apiTimeMs.fleet)}`);
  if (apiTimes.length)
    process.stdout.write(
      `- time the edge spent answering API calls per run, baseline / mcp-fleet (sum over calls, ${opts.latencyMs} ms latency each included; concurrent calls overlap): ${apiTimes.join('; ')}\n`,
    );
  process.stdout.write('- C = a client, K = one of its secret keys, F = its secrets as a JSON file (written before the clock starts)\n');
  process.stdout.write(`- peak memory: ${meta.memoryMethod}; HTTP checks: ${checkTool}\n`);
  const phaseText = Object.entries(phases)
    .map(([name, ms]) => `${name} ${(ms / 1000).toFixed(0)} s`)
    .join(', ');
  process.stdout.write(`\ntotal ${(totalMs / 1000).toFixed(1)} s (${phaseText}); results in ${resultsPath}\n`);
  if (fatal) {
    process.stderr.write(`bench failed: ${fatal instanceof Error ? fatal.message : String(fatal)}\n`);
    return 1;
  }
  return summaries.some((summary) => summary.status === 'failed' || summary.status === 'partial') ? 1 : 0;
}
process.exitCode = await main();
