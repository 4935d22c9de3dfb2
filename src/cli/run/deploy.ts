import type { WaveOptions } from '../../ops/deploy/rollout/prepare.js';
import type { DeployResult } from '../../ops/deploy/rollout/results.js';
import { DEFAULT_WAVE_STEPS, parseCanary, parseWaves } from '../../ops/deploy/rollout/waves.js';
import type { DeployJson } from '../../ui/json/deploy.js';
import { ExitCode, usageError } from '../../util/errors.js';
import type { CommandContext } from '../define.js';
import { type FleetFlags, type FleetOp, type FleetRun, fleetCommand, prepareFleetRun, targetDocument } from '../fleet-command.js';

/** How the rollout is shaped, as the deploy flags say it. */
export interface RolloutRequest {
  verify: boolean;
  rollback: boolean;
  canary: string | undefined;
  waves: string | undefined;
  allAtOnce: boolean;
}

export interface DeployRequest extends FleetFlags, RolloutRequest {
  clients: string[];
  concurrency: number;
  plan: boolean;
}

/** `deploy`: the plan (read-only), or the rollout. */
export function runDeploy(ctx: CommandContext, request: DeployRequest): Promise<ExitCode> {
  checkRollout(request);
  if (request.plan) return planCommand(ctx, request);
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
  // One line per wave above the clients' lines; lines a smaller rollout does not need are marked so at the end.
  const waveLines = Array.from({ length: waves.allAtOnce ? 1 : waves.steps.length + 1 }, (_, i) => `wave ${i + 1}`);
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
  });
  ctx.output.info(renderPlan(plan));
  ctx.output.result((await import('../../ui/json/common.js')).withTarget(deployPlanJson(plan), await targetDocument(run.target)));
  return ExitCode.ok;
}
