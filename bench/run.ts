import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type BaselineContext,
  type BaselineRun,
  deployLoop,
  type HttpCheckTool,
  httpChecks,
  httpCheckTool,
  secretBulkLoop,
  secretPutLoop,
} from './baselines.ts';
import {
  baseEnv,
  clientNames,
  createProject,
  EdgeAdmin,
  type EdgeInfo,
  EXTRA_SECRET_KEYS,
  hasCommand,
  mustRun,
  type RequestLogEntry,
  readEdgeFile,
  repoRoot,
  runFleet,
  startEdge,
  stopEdgeByPid,
  wranglerBin,
  wranglerEnv,
} from './fleet.ts';
import { describeFailure, detectMemoryMethod, killActiveChildren, type MemoryMethod, type RunResult, runTimed } from './measure.ts';
import { type BenchMeta, median, notAvailable, type Row, renderReport, resultsDocument, type Side, summarize } from './report.ts';

/**
 * `npm run bench [-- --clients N --latency-ms MS --runs R --slow-runs S]`
 *
 * Times mcp-fleet's fleet-wide commands against the way it is done by hand today, on one local
 * edge with injected API latency, and its start-up against wrangler's. Prints a table and writes
 * bench/results.json.
 */

const USAGE = `usage: npm run bench -- [options]
  --clients N        clients in the fleet (default 20), five secrets each
  --latency-ms MS    latency the local edge adds to every API call (default 50)
  --runs R           runs of every mcp-fleet operation and of the cheap baselines (default 3)
  --slow-runs S      runs of the slow baselines, one wrangler process per key or per client:
                     the secret put loop, the secret bulk loop, the deploy loop (default 1)
  --deploy-runs D    runs of mcp-fleet deploy --all (default 2)
  --startup-runs R   runs of the start-up rows (default 5)
  --only LIST        comma-separated groups: startup,deploy,secrets,verify (default all)
  --keep             keep the temp project (and do not stop the edge) for inspection
  -h, --help`;

interface Options {
  clients: number;
  latencyMs: number;
  runs: number;
  slowRuns: number;
  deployRuns: number;
  startupRuns: number;
  only: Set<Group>;
  keep: boolean;
}

type Group = 'startup' | 'deploy' | 'secrets' | 'verify';
const GROUPS: readonly Group[] = ['startup', 'deploy', 'secrets', 'verify'];

function parseOptions(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      clients: { type: 'string', default: '20' },
      'latency-ms': { type: 'string', default: '50' },
      runs: { type: 'string', default: '3' },
      'slow-runs': { type: 'string', default: '1' },
      'deploy-runs': { type: 'string', default: '2' },
      'startup-runs': { type: 'string', default: '5' },
      only: { type: 'string', default: GROUPS.join(',') },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const whole = (name: string, text: string, min: number, max: number) => {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || n < min || n > max)
      throw new UsageError(`--${name} ${text}: expected a whole number from ${min} to ${max}`);
    return n;
  };
  const only = new Set<Group>();
  for (const part of values.only
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)) {
    if (!(GROUPS as readonly string[]).includes(part))
      throw new UsageError(`--only ${values.only}: "${part}" is not one of ${GROUPS.join(', ')}`);
    only.add(part as Group);
  }
  return {
    clients: whole('clients', values.clients, 1, 500),
    latencyMs: whole('latency-ms', values['latency-ms'], 0, 600_000),
    runs: whole('runs', values.runs, 1, 100),
    slowRuns: whole('slow-runs', values['slow-runs'], 1, 100),
    deployRuns: whole('deploy-runs', values['deploy-runs'], 1, 100),
    startupRuns: whole('startup-runs', values['startup-runs'], 1, 1000),
    only,
    keep: values.keep,
  };
}

class UsageError extends Error {}

/** What each baseline runs (the table's "baseline" column). */
const LABELS = {
  deployLoop: 'wrangler deploy --env C, each client in turn',
  putLoop: 'wrangler secret put K --env C, each key in turn',
  bulkLoop: 'wrangler secret bulk F --env C, each client in turn',
  checks: (tool: HttpCheckTool) => `${tool === 'curl' ? 'curl' : 'Node fetch'} /health, /ready, /mcp, each client in turn`,
  wranglerVersion: 'wrangler --version',
};

const started = performance.now();

function progress(message: string): void {
  const seconds = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`[${seconds} s] ${message}\n`);
}

/** A measured operation: one run returns its duration and failures. */
interface Measured {
  label: string;
  runs: number;
  run: () => Promise<BaselineRun>;
  /** Count API requests per client from the edge's log for each run. */
  countApi: boolean;
}

interface ApiCounts {
  perClient: number;
  unattributed: number;
  /** Sum of the edge's answer times (ms) of all API calls of the run. */
  totalMs: number;
}

function countRequests(entries: readonly RequestLogEntry[], clients: readonly string[]): ApiCounts {
  const mine = new Set(clients);
  const perClient = new Map<string, number>(clients.map((client) => [client, 0]));
  let unattributed = 0;
  let totalMs = 0;
  for (const entry of entries) {
    if (entry.path.startsWith('/__edge')) continue;
    totalMs += entry.ms;
    if (entry.script !== null && mine.has(entry.script)) perClient.set(entry.script, (perClient.get(entry.script) ?? 0) + 1);
    else if (entry.script === null) unattributed += 1;
  }
  return { perClient: median([...perClient.values()]) ?? 0, unattributed, totalMs };
}

/**
 * Runs several operations round-robin (a, b, c, a, b, c, …) until each has had its runs, so a
 * change in machine load over time affects every side alike. The edge's request log is cleared
 * before and read after each run.
 */
async function measureRoundRobin(
  operations: readonly Measured[],
  admin: EdgeAdmin | undefined,
  clients: readonly string[],
): Promise<Side[]> {
  const sides: Side[] = operations.map((op) => ({ label: op.label, samples: [], attempted: 0, failures: [] }));
  const counts: ApiCounts[][] = operations.map(() => []);
  const rounds = Math.max(...operations.map((op) => op.runs));
  for (let round = 0; round < rounds; round += 1) {
    for (const [index, op] of operations.entries()) {
      if (round >= op.runs) continue;
      const side = sides[index]!;
      if (admin && op.countApi) await admin.clearRequests();
      progress(`  ${op.label} — run ${round + 1}/${op.runs}`);
      side.attempted += 1;
      let outcome: BaselineRun;
      try {
        outcome = await op.run();
      } catch (error) {
        outcome = { ms: 0, failures: [error instanceof Error ? error.message : String(error)] };
      }
      if (outcome.failures.length === 0) {
        side.samples.push(outcome.ms);
        if (admin && op.countApi) counts[index]!.push(countRequests(await admin.requests(), clients));
      } else {
        const more = outcome.failures.length > 1 ? ` (and ${outcome.failures.length - 1} more)` : '';
        side.failures.push(`run ${round + 1}: ${outcome.failures[0]}${more}`);
      }
      progress(`    ${outcome.failures.length === 0 ? `${(outcome.ms / 1000).toFixed(2)} s` : 'failed'}`);
    }
  }
  sides.forEach((side, index) => {
    const list = counts[index]!;
    if (list.length > 0) {
      side.apiPerClient = median(list.map((count) => count.perClient));
      side.apiUnattributed = median(list.map((count) => count.unattributed));
      side.apiMs = median(list.map((count) => count.totalMs));
    }
  });
  return sides;
}

function formatSeconds(ms: number | null): string {
  return ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`;
}

function fromResult(result: RunResult): BaselineRun {
  return { ms: result.ms, failures: result.exitCode === 0 ? [] : [describeFailure(result)] };
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
          runFleet(projectDir, ['--yes', 'deploy', '--all', '--local'], { env, timeoutMs: 900_000 }),
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
              run: async () => fromResult(await runFleet(projectDir, ['--yes', ...args], { env, timeoutMs: 900_000 })),
            }
          : undefined;

      if (opts.only.has('deploy')) {
        progress('deploy: wrangler deploy per client vs mcp-fleet deploy --all');
        const baseline: Measured = { label: LABELS.deployLoop, runs: opts.slowRuns, countApi: true, run: () => deployLoop(ctx) };
        const fleet = fleetOp('mcp-fleet deploy --all --local', ['deploy', '--all', '--local'], hasDeploy, opts.deployRuns);
        const [b, f] = await measureRoundRobin(fleet ? [baseline, fleet] : [baseline], admin, clients);
        rows.push({
          id: 'deploy',
          operation: 'deploy --all',
          unit: 'ms',
          baseline: b!,
          fleet: f ?? notAvailable('mcp-fleet deploy --all --local', missing('deploy')),
          note: "mcp-fleet deploy (4 clients at once by default) also uploads each client's secrets with its code and runs the verify checks on every worker afterwards; the baseline does neither",
        });
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

async function startupRows(
  runs: number,
  clientCount: number,
  projectDir: string,
  env: NodeJS.ProcessEnv,
  memory: MemoryMethod | undefined,
): Promise<Row[]> {
  const commands = {
    wrangler: { label: 'wrangler --version', file: process.execPath, args: [wranglerBin, '--version'] },
    version: { label: 'mcp-fleet --version', file: process.execPath, args: [join(repoRoot, 'bin', 'mcp-fleet.js'), '--version'] },
    list: { label: 'mcp-fleet list', file: process.execPath, args: [join(repoRoot, 'bin', 'mcp-fleet.js'), '-C', projectDir, 'list'] },
  };
  const time: Record<keyof typeof commands, Side> = {
    wrangler: { label: commands.wrangler.label, samples: [], attempted: 0, failures: [] },
    version: { label: commands.version.label, samples: [], attempted: 0, failures: [] },
    list: { label: commands.list.label, samples: [], attempted: 0, failures: [] },
  };
  const rss: Record<keyof typeof commands, Side> = {
    wrangler: { ...time.wrangler, samples: [], failures: [] },
    version: { ...time.version, samples: [], failures: [] },
    list: { ...time.list, samples: [], failures: [] },
  };
  for (let round = 0; round < runs; round += 1) {
    for (const key of Object.keys(commands) as Array<keyof typeof commands>) {
      const command = commands[key];
      const result = await runTimed(command.file, command.args, { cwd: projectDir, env, memory, timeoutMs: 60_000 });
      time[key].attempted += 1;
      rss[key].attempted += memory ? 1 : 0;
      if (result.exitCode !== 0) {
        time[key].failures.push(`run ${round + 1}: ${describeFailure(result)}`);
        continue;
      }
      time[key].samples.push(result.ms);
      if (result.peakRssKb !== undefined) rss[key].samples.push(result.peakRssKb);
    }
  }
  const noMemory = (side: Side): Side => (memory ? side : notAvailable(side.label, 'no way to read peak memory on this machine'));
  return [
    { id: 'startup-version', operation: '--version: start-up time', unit: 'ms', baseline: time.wrangler, fleet: time.version },
    {
      id: 'startup-list',
      operation: `list (${clientCount} clients): start-up time`,
      unit: 'ms',
      baseline: time.wrangler,
      fleet: time.list,
    },
    { id: 'memory-version', operation: '--version: peak RSS', unit: 'KB', baseline: noMemory(rss.wrangler), fleet: noMemory(rss.version) },
    {
      id: 'memory-list',
      operation: `list (${clientCount} clients): peak RSS`,
      unit: 'KB',
      baseline: noMemory(rss.wrangler),
      fleet: noMemory(rss.list),
    },
  ];
}

function unavailableRows(group: 'deploy' | 'secrets' | 'verify', tool: HttpCheckTool, reason: string): Row[] {
  const na = (label: string) => notAvailable(label, reason);
  switch (group) {
    case 'deploy':
      return [
        {
          id: 'deploy',
          operation: 'deploy --all',
          unit: 'ms',
          baseline: na(LABELS.deployLoop),
          fleet: na('mcp-fleet deploy --all --local'),
        },
      ];
    case 'secrets':
      return [
        {
          id: 'secrets-put',
          operation: 'secrets push --all',
          unit: 'ms',
          baseline: na(LABELS.putLoop),
          fleet: na('mcp-fleet secrets push --all --local'),
        },
        {
          id: 'secrets-bulk',
          operation: 'secrets push --all',
          unit: 'ms',
          baseline: na(LABELS.bulkLoop),
          fleet: na('mcp-fleet secrets push --all --local'),
        },
      ];
    case 'verify':
      return [
        {
          id: 'verify',
          operation: 'verify --all',
          unit: 'ms',
          baseline: na(LABELS.checks(tool)),
          fleet: na('mcp-fleet verify --all --local'),
        },
      ];
  }
}

process.exitCode = await main();
