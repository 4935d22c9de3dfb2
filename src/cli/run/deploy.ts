import { type BakeFlags, type BakeLimits, parseBakeLimits } from '../../ops/deploy/bake/bake-limits.js';
import type { WaveOptions } from '../../ops/deploy/rollout/prepare.js';
import type { DeployResult } from '../../ops/deploy/rollout/results.js';
import { DEFAULT_WAVE_STEPS, parseCanary, parseWaves, planWaves } from '../../ops/deploy/rollout/waves.js';
import { parsePercent, parseRamp } from '../../ops/deploy/split/split.js';
import type { DeployJson } from '../../ui/json/deploy.js';
import { ExitCode, usageError } from '../../util/errors.js';
import { commandLine } from '../../util/next-step.js';
import type { CommandContext } from '../define.js';
import { type FleetFlags, type FleetOp, type FleetRun, fleetCommand, prepareFleetRun, targetDocument } from '../fleet-command.js';

/** How the rollout is shaped, as the deploy flags say it. */
export interface RolloutRequest extends BakeFlags {
  verify: boolean;
  rollback: boolean;
  canary: string | undefined;
  waves: string | undefined;
  allAtOnce: boolean;
  ramp?: string | undefined;
}

export interface DeployRequest extends FleetFlags, RolloutRequest {
  clients: string[];
  concurrency: number;
  plan: boolean;
  percent?: string | undefined;
  promote?: boolean | undefined;
}

/** `deploy`: the plan (read-only), or the rollout. */
export function runDeploy(ctx: CommandContext, request: DeployRequest): Promise<ExitCode> {
  checkRollout(request);
  const split = checkSplit(request);
  if (split && request.ramp !== undefined)
    throw usageError('--ramp splits each wave step by step: it cannot be combined with --percent or --promote', 'Use one or the other.');
  if (split && request.bake !== undefined)
    throw usageError(
      '--bake judges the waves of a rollout: it cannot be combined with --percent or --promote',
      `Read the split's figures with ${commandLine('metrics', '<client>')}.`,
    );
  // Checked before the lock and the plan, so bad limits change nothing and name their flag.
  parseBakeLimits(request, request.verify);
  if (split && request.plan) return planSplit(ctx, request, split);
  if (request.plan) return planCommand(ctx, request);
  if (split) return fleetCommand(ctx, request.clients, request, (run) => splitOp(run, request, split));
  return fleetCommand(ctx, request.clients, request, (run) => deployOp(run, request.concurrency, request));
}

function checkRollout(request: RolloutRequest): void {
  const shaped = request.canary !== undefined || request.waves !== undefined;
  if (shaped && !request.verify)
    throw usageError(
      '--canary and --waves need verification: a wave is judged by its checks',
      'Drop --no-verify, or drop --canary/--waves.',
    );
  if (shaped && request.allAtOnce) throw usageError('--all-at-once is one wave: it cannot be combined with --canary or --waves');
  rampOf(request);
}

/** `--ramp`, checked: each step is judged by the checks, so it needs them. */
function rampOf(request: RolloutRequest): number[] | undefined {
  if (request.ramp === undefined) return undefined;
  if (!request.verify) throw usageError('--ramp judges each step by its checks: it cannot be combined with --no-verify');
  const ramp = parseRamp(request.ramp);
  if (!ramp)
    throw usageError(`--ramp ${request.ramp}: expected growing shares from 1 to 99 %`, 'e.g. --ramp 10,50 (10 %, then 50 %, then 100 %)');
  return ramp;
}

function waveOptions(run: Pick<FleetRun, 'clients'>, rollout: RolloutRequest): WaveOptions {
  const names = run.clients.map((client) => client.name);
  return {
    steps: rollout.waves ? parseWaves(rollout.waves) : DEFAULT_WAVE_STEPS,
    canary: rollout.canary ? parseCanary(rollout.canary, names) : undefined,
    allAtOnce: rollout.allAtOnce || !rollout.verify,
  };
}

/** Deploying the run's clients, as a fleet op (add --deploy runs it too). */
export async function deployOp(run: FleetRun, concurrency: number, rollout: RolloutRequest): Promise<FleetOp<DeployResult, DeployJson>> {
  const [{ deployFleet }, { renderRolloutReport }, { createFleetProgress }, { deployJson }] = await Promise.all([
    import('../../ops/deploy/deploy.js'),
    import('../../ui/rollout-report.js'),
    import('../../ui/fleet-progress.js'),
    import('../../ui/json/deploy.js'),
  ]);
  const waves = waveOptions(run, rollout);
  const bake: BakeLimits | undefined = parseBakeLimits(rollout, rollout.verify);
  // One line per wave of the plan above the clients' lines. A client that fails its checks before
  // the rollout can leave the plan a wave short: that line is marked so at the end.
  const planned = waves.allAtOnce ? 1 : planWaves(run.clients, (client) => client.name, waves.steps, waves.canary).length;
  const waveLines = Array.from({ length: planned }, (_, i) => `wave ${i + 1}`);
  return {
    // The progress display is this command's own: it has the wave lines too.
    progress: false,
    run: async () => {
      const display = createFleetProgress(run.ctx.output, [...waveLines, ...run.clients.map((client) => client.name)]);
      const used = new Set<string>();
      try {
        return await deployFleet({
          fleet: run.fleet,
          clients: run.clients,
          target: run.target,
          concurrency,
          verify: rollout.verify,
          waves,
          rollback: rollout.rollback,
          bake,
          ramp: rampOf(rollout),
          onProgress: display.update,
          onWave: (wave, of, phase, detail) => {
            used.add(`wave ${wave}`);
            display.update(`wave ${wave}`, phase, `of ${of} · ${detail}`);
          },
        });
      } finally {
        // Only a redrawn (terminal) display shows lines before they change: elsewhere unused ones never appeared.
        if (run.ctx.output.isTTY) for (const line of waveLines) if (!used.has(line)) display.update(line, 'skipped', 'not needed');
        display.stop();
      }
    },
    render: renderRolloutReport,
    json: deployJson,
  };
}

/** deploy --plan: read-only (no lock, no write call); prints the plan and, under --json, the plan document. */
async function planCommand(ctx: CommandContext, request: DeployRequest): Promise<ExitCode> {
  const run = await prepareFleetRun(ctx, request.clients, request);
  const [{ planDeploy }, { renderPlan }, { deployPlanJson }] = await Promise.all([
    import('../../ops/deploy/rollout/plan-deploy.js'),
    import('../../ui/rollout-report.js'),
    import('../../ui/json/deploy.js'),
  ]);
  const plan = await planDeploy({
    fleet: run.fleet,
    clients: run.clients,
    target: run.target,
    concurrency: request.concurrency,
    verify: request.verify,
    waves: waveOptions(run, request),
    bake: parseBakeLimits(request, request.verify),
    ramp: rampOf(request),
  });
  ctx.output.info(renderPlan(plan));
  ctx.output.result((await import('../../ui/json/common.js')).withTarget(deployPlanJson(plan), await targetDocument(run.target)));
  return ExitCode.ok;
}

/** --percent / --promote: a dark launch, checked before anything runs. */
function checkSplit(request: DeployRequest): { percent: number | undefined; promote: boolean } | undefined {
  const promote = request.promote === true;
  if (request.percent === undefined && !promote) return undefined;
  if (request.percent !== undefined && promote)
    throw usageError('--percent and --promote cannot be combined: --promote ends the split --percent starts');
  const shaped = request.canary !== undefined || request.waves !== undefined || request.allAtOnce;
  if (shaped)
    throw usageError(
      `${promote ? '--promote' : '--percent'} splits each client's traffic: it cannot be combined with --canary, --waves or --all-at-once`,
    );
  if (promote) return { percent: undefined, promote };
  const percent = parsePercent(request.percent as string);
  if (percent === undefined)
    throw usageError(`--percent must be a whole number from 1 to 99, not "${request.percent}"`, 'For 100 %, use --promote.');
  return { percent, promote };
}

async function splitOp(
  run: FleetRun,
  request: DeployRequest,
  split: { percent: number | undefined; promote: boolean },
): Promise<FleetOp<DeployResult, DeployJson>> {
  const [{ runDarkLaunch }, { renderRolloutReport }, { deployJson }] = await Promise.all([
    import('../../ops/deploy/split/dark-launch.js'),
    import('../../ui/rollout-report.js'),
    import('../../ui/json/deploy.js'),
  ]);
  return {
    progress: true,
    run: (onProgress) =>
      runDarkLaunch({
        fleet: run.fleet,
        clients: run.clients,
        target: run.target,
        ...split,
        verify: request.verify,
        rollback: request.rollback,
        concurrency: request.concurrency,
        onProgress,
      }),
    render: renderRolloutReport,
    json: deployJson,
  };
}

/** deploy --percent/--promote --plan: what each client would get, and its API calls; changes nothing. */
async function planSplit(
  ctx: CommandContext,
  request: DeployRequest,
  split: { percent: number | undefined; promote: boolean },
): Promise<ExitCode> {
  const run = await prepareFleetRun(ctx, request.clients, request);
  const what = split.promote
    ? "the split's newer version at 100 % (list deployments, deploy: 2 API calls)"
    : `a new version at ${split.percent} %, the live one at ${100 - (split.percent as number)} % (list deployments, upload, deploy: 3 API calls; during a split 3 to move it with the same code, 4 with new code)`;
  const lines = run.clients.map((client) => `  ${client.name}: ${what}`);
  ctx.output.info([`Plan (dark launch), all clients at once, plus 1 API call for the account's worker list:`, ...lines].join('\n'));
  const { SCHEMA_VERSION, withTarget } = await import('../../ui/json/common.js');
  const document = {
    schemaVersion: SCHEMA_VERSION,
    ok: true,
    plan: { split: split.promote ? 'promote' : split.percent },
    clients: run.clients.map((client) => client.name),
  };
  ctx.output.result(withTarget(document, await targetDocument(run.target)));
  return ExitCode.ok;
}
