import { ExitCode, usageError } from '../../util/errors.js';
import { commandLine } from '../../util/next-step.js';
import type { CommandContext } from '../define.js';
import { prepareFleetRun, resolveFleetTarget, runFleetOp } from '../fleet-command.js';

export interface AddRequest {
  client: string | undefined;
  default: boolean;
  set: string[];
  fromEnv: boolean;
  force: boolean;
  deploy: boolean;
  local: boolean;
  remote: boolean;
}

/** `add`: writes the section and the secrets file; with --deploy, deploys and verifies the new client. */
export async function runAdd(ctx: CommandContext, request: AddRequest): Promise<ExitCode> {
  if (request.client === undefined && !request.default)
    throw usageError(
      "missing required argument 'client'",
      `Usage: ${commandLine('add', '<client>')}, or ${commandLine('add', '--default')} for the top-level worker`,
    );
  const [{ loadFleet }, { addClient, parseSetFlags }, { askSecret }, { renderAdd }, { addJson }] = await Promise.all([
    import('../../fleet/fleet.js'),
    import('../../ops/project/add.js'),
    import('../../ui/prompts.js'),
    import('../../ui/project-report.js'),
    import('../../ui/json/project.js'),
  ]);
  const set = parseSetFlags(request.set);
  const fleet = await loadFleet(ctx.cwd);
  const client = request.client ?? fleet.topLevelName ?? '';
  // With --deploy, what the deploy needs is checked before anything is written, so a refusal changes nothing.
  const target = request.deploy ? await resolveFleetTarget(ctx, fleet, request) : undefined;
  const result = await addClient({
    fleet,
    client,
    set,
    fromEnv: request.fromEnv,
    env: process.env,
    ask: ctx.output.interactive ? (key) => askSecret(key, client) : undefined,
    force: request.force,
    asDefault: request.default,
    requireComplete: request.deploy ? '--deploy' : undefined,
  });
  if (!request.deploy) ctx.output.result(addJson(result));
  renderAdd(ctx.output, fleet.configPath, result, request.deploy);
  if (!request.deploy) return ExitCode.ok;
  const { deployOp } = await import('./deploy.js');
  const run = await prepareFleetRun(ctx, [client], { all: false, local: request.local, remote: request.remote }, target);
  const rollout = { verify: true, rollback: true, canary: undefined, waves: undefined, allAtOnce: false };
  const deployed = await runFleetOp(run, await deployOp(run, 1, rollout));
  ctx.output.result(addJson(result, deployed.json));
  return deployed.exitCode;
}
