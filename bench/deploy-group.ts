import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BaselineContext, type BaselineRun, deployLoop } from './baselines.ts';
import { type EdgeAdmin, runFleet } from './fleet.ts';
import type { Options } from './options.ts';
import type { Row } from './report.ts';
import { fromResult, type Measured, measureRoundRobin, progress } from './round-robin.ts';

/**
 * The deploy group: `wrangler deploy --env C` for each client in turn against `mcp-fleet deploy
 * --all` (its default: one build, a verified canary, then waves), twice — after a source change
 * (so mcp-fleet builds, as wrangler always does) and with the same code (mcp-fleet reuses its
 * bundle). The wrangler loop is one client after another, so at a large --clients it may run on
 * the first --baseline-clients only, its time scaled to the whole fleet (said in its label).
 */

export const DEPLOY_LOOP_LABEL = 'wrangler deploy --env C, each client in turn';

export async function deployRows(ctx: BaselineContext, admin: EdgeAdmin, opts: Options, env: NodeJS.ProcessEnv): Promise<Row[]> {
  const total = ctx.clients.length;
  const sample = ctx.clients.slice(0, opts.baselineClients);
  const scale = total / sample.length;
  const scaled = sample.length === total ? '' : `; ${sample.length} of ${total} run, time × ${scale.toFixed(1)}`;
  // A comment is enough: the bundle's source map carries the source, so the code to upload differs
  // (and the edge restarts each worker's process with it, for wrangler and mcp-fleet alike).
  const changeSource = (round: number) => appendFile(join(ctx.projectDir, 'src', 'version.ts'), `// bench run ${round + 1}\n`);
  const loop = async (): Promise<BaselineRun> => {
    const run = await deployLoop({ ...ctx, clients: sample });
    return { ...run, ms: run.ms * scale };
  };
  const fleetDeploy = async () => fromResult(await runFleet(ctx.projectDir, ['deploy', '--all', '--local'], { env, timeoutMs: 1_800_000 }));
  const operations: Measured[] = [
    {
      label: `${DEPLOY_LOOP_LABEL} (source changed${scaled})`,
      runs: opts.slowRuns,
      countApi: true,
      clients: sample,
      before: changeSource,
      run: loop,
    },
    {
      label: 'mcp-fleet deploy --all --local (source changed: built again)',
      runs: opts.deployRuns,
      countApi: true,
      before: changeSource,
      run: fleetDeploy,
    },
    // Same code: what the previous run deployed, so neither side changes what a worker runs.
    { label: 'mcp-fleet deploy --all --local (same code: bundle reused)', runs: opts.deployRuns, countApi: true, run: fleetDeploy },
    { label: `${DEPLOY_LOOP_LABEL} (same code${scaled})`, runs: opts.slowRuns, countApi: true, clients: sample, run: loop },
  ];
  progress(`deploy: wrangler deploy per client vs mcp-fleet deploy --all (${total} clients)`);
  const [bChanged, fChanged, fSame, bSame] = await measureRoundRobin(operations, admin, ctx.clients);
  const note =
    "mcp-fleet deploy --all: one build, each client's code and secrets in one version upload plus a deployment, a verified canary then waves (1, 10%, 50%, 100%), each verified with the verify command's checks; the wrangler loop neither carries secrets nor verifies";
  return [
    {
      id: 'deploy-changed',
      operation: 'deploy --all, source changed',
      unit: 'ms',
      baseline: bChanged!,
      fleet: fChanged!,
      clients: total,
      note,
    },
    { id: 'deploy', operation: 'deploy --all, same code', unit: 'ms', baseline: bSame!, fleet: fSame!, clients: total },
  ];
}
