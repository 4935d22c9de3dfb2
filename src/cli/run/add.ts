import type { Target } from '../../cloudflare/target.js';
import type { AuthMode } from '../../config/auth-modes.js';
import type { PresenceCheck } from '../../ops/project/worker-presence.js';
import { ExitCode, usageError } from '../../util/errors.js';
import { commandLine } from '../../util/next-step.js';
import type { CommandContext } from '../define.js';
import { configuredTarget, prepareFleetRun, resolveFleetTarget, runFleetOp } from '../fleet-command.js';

export interface AddRequest {
  client: string | undefined;
  default: boolean;
  adopt: boolean;
  set: string[];
  fromEnv: boolean;
  newKey: boolean;
  force: boolean;
  deploy: boolean;
  auth: string | undefined;
  local: boolean;
  remote: boolean;
}

/** Whether workers run on the target, from one read of the account's list; unknown without a target. */
async function presenceOn(target: Target | undefined): Promise<PresenceCheck> {
  const { accountPresence, unknownPresence } = await import('../../ops/project/worker-presence.js');
  if (!target) return unknownPresence('no target to ask: CLOUDFLARE_API_TOKEN is not set and the local edge is not the target');
  const { createWorkersApi } = await import('../../cloudflare/workers-api.js');
  return accountPresence(
    createWorkersApi(target),
    target.kind === 'local' ? 'on the local edge' : `in Cloudflare account ${target.accountId}`,
  );
}

/** `add`: writes the section and the secrets file; with --deploy, deploys and verifies the new client. */
export async function runAdd(ctx: CommandContext, request: AddRequest): Promise<ExitCode> {
  if (request.client === undefined && !request.default)
    throw usageError(
      "missing required argument 'client'",
      `Usage: ${commandLine('add', '<client>')}, or ${commandLine('add', '--default')} for the top-level worker`,
    );
  const [{ loadFleet }, { addClient, parseSetFlags }, { askSecret, askText }, { renderAdd }, { addJson }] = await Promise.all([
    import('../../fleet/fleet.js'),
    import('../../ops/project/add.js'),
    import('../../ui/prompts.js'),
    import('../../ui/project-report.js'),
    import('../../ui/json/project.js'),
  ]);
  const set = parseSetFlags(request.set);
  const { parseModes, needsIdentityStore } = await import('../../config/auth-modes.js');
  const modes = request.auth === undefined ? undefined : parseModes(request.auth);
  const fleet = await loadFleet(ctx.cwd);
  const client = request.client ?? fleet.topLevelName ?? '';
  // With --deploy, what the deploy needs is checked before anything is written, so a refusal changes nothing.
  const needsTarget = request.deploy || (modes !== undefined && needsIdentityStore(modes));
  const target = needsTarget ? await resolveFleetTarget(ctx, fleet, request) : await configuredTarget(ctx, fleet, request);
  const result = await addClient({
    fleet,
    client,
    set,
    fromEnv: request.fromEnv,
    env: process.env,
    ask: ctx.output.interactive ? (key, message) => askSecret(key, client, message) : undefined,
    askVar: ctx.output.interactive ? (key) => askText(key, client) : undefined,
    force: request.force,
    asDefault: request.default,
    adopt: request.adopt,
    newKey: request.newKey,
    presence: await presenceOn(target),
    requireComplete: request.deploy ? '--deploy' : undefined,
  });
  const auth = modes === undefined ? undefined : await setModes(ctx, client, modes, target);
  if (!request.deploy) ctx.output.result({ ...addJson(result), ...(auth ? { auth } : {}) });
  renderAdd(ctx.output, fleet.configPath, result, request.deploy);
  if (!request.deploy) return ExitCode.ok;
  const { deployOp } = await import('./deploy.js');
  const run = await prepareFleetRun(ctx, [client], { all: false, local: request.local, remote: request.remote }, target);
  const rollout = { verify: true, rollback: true, canary: undefined, waves: undefined, allAtOnce: false };
  const deployed = await runFleetOp(run, await deployOp(run, 1, rollout));
  ctx.output.result({ ...addJson(result, deployed.json), ...(auth ? { auth } : {}) });
  return deployed.exitCode;
}

/** `add --auth`: the new client's modes, set as `auth` sets them (its identity namespace and signing key made once). */
async function setModes(ctx: CommandContext, client: string, modes: AuthMode[], target: Target | undefined) {
  const [{ loadFleet, findClient }, { changeAuthModes }, { createKvApi }] = await Promise.all([
    import('../../fleet/fleet.js'),
    import('../../ops/identity/modes.js'),
    import('../../cloudflare/kv.js'),
  ]);
  const fleet = await loadFleet(ctx.cwd);
  const found = findClient(fleet, client);
  if (!found) return undefined;
  const change = await changeAuthModes({ fleet, client: found, modes, kv: target ? createKvApi(target) : undefined });
  ctx.output.info(`auth modes: ${change.after.join(',')}${change.namespace?.bound ? ` (identity namespace ${change.namespace.id})` : ''}`);
  return { modes: change.after, identityNamespace: change.namespace?.id ?? null, signingKey: change.signingKey };
}
