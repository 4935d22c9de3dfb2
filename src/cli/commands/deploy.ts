import type { Command } from 'commander';
import type { DeployOptions, DeployResult } from '../../ops/deploy/deploy.js';
import { DEFAULT_WAVES } from '../../ops/deploy/rollout/waves.js';
import { DEFAULT_CONCURRENCY } from '../../ops/fleet/defaults.js';
import type { DeployJson } from '../../ui/json/deploy.js';
import { ExitCode, usageError } from '../../util/errors.js';
import { action } from '../action.js';
import { parseConcurrency } from '../flags.js';
import { addFleetOptions, type FleetFlags, type FleetOp, type FleetRun, fleetCommand, prepareFleetRun } from '../fleet-run.js';
import { addLockOption } from '../project-lock.js';

interface DeployFlags extends FleetFlags {
  verify: boolean;
  rollback: boolean;
  canary?: string;
  waves?: string;
  allAtOnce?: boolean;
  plan?: boolean;
}

export function registerDeploy(program: Command): void {
  addFleetOptions(
    addLockOption(program.command('deploy [clients...]'))
      .description(
        "build once, upload each client's code and secrets as one version, and roll out in verified waves; a failed wave goes back to what it ran before",
      )
      .option('--canary <clients>', 'the first wave: these clients (comma-separated; default: the first client)')
      .option('--waves <steps>', `clients deployed by the end of each wave, counts or percentages (default: ${DEFAULT_WAVES})`)
      .option('--all-at-once', 'one wave: every client at once, then verify')
      .option('--no-rollback', 'when a wave fails, leave its clients on the new version (the rollout still halts)')
      .option('--no-verify', 'skip the checks (and with them the waves: every client at once)')
      .option('--plan', 'print what would be deployed, how, in which wave, with how many API calls and how long; change nothing'),
    DEFAULT_CONCURRENCY.upload,
  ).action(
    action((names: string[], flags: DeployFlags, cmd: Command) => {
      const concurrency = parseConcurrency(flags.concurrency, DEFAULT_CONCURRENCY.upload);
      const rollout = rolloutFlags(flags);
      if (flags.plan) return planCommand(cmd, names, flags, concurrency, rollout);
      return fleetCommand(cmd, names, flags, 'write', (run) => deployOp(run, concurrency, flags.verify, rollout));
    }),
  );
}

type RolloutFlags = Pick<DeployOptions, 'rollback'> & { waves: string | undefined; canary: string | undefined; allAtOnce: boolean };

function rolloutFlags(flags: DeployFlags): RolloutFlags {
  const shaped = flags.canary !== undefined || flags.waves !== undefined;
  if (shaped && !flags.verify)
    throw usageError(
      '--canary and --waves need verification: a wave is judged by its checks',
      'Drop --no-verify, or drop --canary/--waves.',
    );
  if (shaped && flags.allAtOnce) throw usageError('--all-at-once is one wave: it cannot be combined with --canary or --waves');
  return { rollback: flags.rollback, waves: flags.waves, canary: flags.canary, allAtOnce: Boolean(flags.allAtOnce) };
}

async function waveOptions(
  run: Pick<FleetRun, 'clients'>,
  rollout: RolloutFlags | undefined,
): Promise<NonNullable<DeployOptions['waves']>> {
  const { parseCanary, parseWaves } = await import('../../ops/deploy/rollout/waves.js');
  return {
    ...(rollout?.waves ? { steps: parseWaves(rollout.waves) } : {}),
    ...(rollout?.canary
      ? {
          canary: parseCanary(
            rollout.canary,
            run.clients.map((client) => client.name),
          ),
        }
      : {}),
    allAtOnce: rollout?.allAtOnce ?? false,
  };
}

/** Deploying the run's clients, as a fleet op (add --deploy runs it too). */
export async function deployOp(
  run: FleetRun,
  concurrency: number,
  verify: boolean,
  rollout?: RolloutFlags,
): Promise<FleetOp<DeployResult, DeployJson>> {
  const [{ deployFleet }, { renderRolloutReport }, { createFleetProgress }, { deployJson }] = await Promise.all([
    import('../../ops/deploy/deploy.js'),
    import('../../ui/rollout-report.js'),
    import('../../ui/fleet-progress.js'),
    import('../../ui/json/deploy.js'),
  ]);
  const waves = await waveOptions(run, rollout);
  // One line per wave above the clients' lines; lines a smaller rollout does not need are marked so at the end.
  const waveLines = Array.from({ length: verify && !waves.allAtOnce ? (waves.steps?.length ?? 4) + 1 : 1 }, (_, i) => `wave ${i + 1}`);
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
          verify,
          waves,
          rollback: rollout?.rollback ?? true,
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
async function planCommand(
  cmd: Command,
  names: readonly string[],
  flags: DeployFlags,
  concurrency: number,
  rollout: RolloutFlags,
): Promise<ExitCode> {
  const run = await prepareFleetRun(cmd, names, flags);
  const [{ planDeploy }, { renderPlan }, { DEFAULT_WAVES: defaults, parseWaves }, { deployPlanJson }] = await Promise.all([
    import('../../ops/deploy/rollout/plan-deploy.js'),
    import('../../ui/rollout-report.js'),
    import('../../ops/deploy/rollout/waves.js'),
    import('../../ui/json/deploy.js'),
  ]);
  const waves = await waveOptions(run, rollout);
  const plan = await planDeploy({
    fleet: run.fleet,
    clients: run.clients,
    target: run.target,
    concurrency,
    verify: flags.verify,
    waves: { steps: waves.steps ?? parseWaves(defaults), canary: waves.canary, allAtOnce: waves.allAtOnce || !flags.verify },
  });
  run.ctx.output.info(renderPlan(plan));
  run.ctx.output.result(deployPlanJson(plan));
  return ExitCode.ok;
}
