import type { Target } from '../../cloudflare/target.js';
import type { Client, Fleet } from '../../fleet/fleet.js';
import { identityNamespaceOf } from '../../ops/identity/store.js';
import { targetName } from '../../ops/project/delete-worker.js';
import { ExitCode, usageError } from '../../util/errors.js';
import { commandLine } from '../../util/next-step.js';
import type { CommandContext } from '../define.js';
import { resolveFleetTarget } from '../fleet-command.js';

export interface RemoveRequest {
  client: string;
  deleteWorker: boolean;
  keepWorker: boolean;
  local: boolean;
  remote: boolean;
  yes: boolean;
}

type WorkerFate = 'delete' | 'keep';

const FATE_FLAG: Record<WorkerFate, string> = { delete: '--delete-worker', keep: '--keep-worker' };

/**
 * `remove`: a client's worker keeps serving with a working key unless it is deleted, so the command
 * never leaves that unsaid: it takes --delete-worker or --keep-worker, or asks at a terminal. For a
 * client removed earlier, --delete-worker deletes the worker it left.
 */
export async function runRemove(ctx: CommandContext, request: RemoveRequest): Promise<ExitCode> {
  if (request.deleteWorker && request.keepWorker) throw usageError('give --delete-worker or --keep-worker, not both');
  const { findClient, loadFleet } = await import('../../fleet/fleet.js');
  const fleet = await loadFleet(ctx.cwd);
  const found = findClient(fleet, request.client);
  if (!found) return request.deleteWorker ? deleteRemovedWorker(ctx, fleet, request) : refuseUnknown(ctx, fleet, request.client);

  let fate: WorkerFate | undefined = request.deleteWorker ? 'delete' : request.keepWorker ? 'keep' : undefined;
  // The target is proven before anything is asked or changed: a dead edge or a missing token is exit 2 with nothing done.
  let target = fate === 'delete' ? await resolveFleetTarget(ctx, fleet, request) : undefined;
  if (fate === undefined) {
    fate = await askFate(ctx, fleet, found);
    if (fate === 'delete') target = await resolveFleetTarget(ctx, fleet, request);
  } else if (!request.yes) {
    await confirmOrRefuse(
      ctx,
      `removing ${found.name}`,
      [found.name, FATE_FLAG[fate]],
      `${describeFate(fate, found, target)} from ${fleet.configPath}?`,
    );
  }
  const [{ removeClient }, { createWorkersApi }, { deleteWorker }, { renderRemove }, { removeJson }] = await Promise.all([
    import('../../ops/project/remove.js'),
    import('../../cloudflare/workers-api.js'),
    import('../../ops/project/delete-worker.js'),
    import('../../ui/project-report.js'),
    import('../../ui/json/project.js'),
  ]);
  // The worker goes first, so that a failed delete leaves the client fully in place and the command can simply be re-run.
  const worker = target ? await deleteWorker(createWorkersApi(target), found.workerName) : undefined;
  // Its people's grants, invitations and token revocations go with the worker: nothing else reads them.
  const namespace = target ? identityNamespaceOf(found) : undefined;
  if (target && namespace) await (await import('../../cloudflare/kv.js')).createKvApi(target).deleteNamespace(namespace);
  const result = await removeClient(fleet, found.name);
  ctx.output.result(removeJson(result, worker, fate === 'keep'));
  renderRemove(ctx.output, fleet.configPath, result, {
    worker,
    target: target ? targetName(target) : undefined,
    // Non-interactively the line needs --yes to run as printed; at a terminal it asks first.
    deleteLater:
      fate === 'keep' ? commandLine('remove', found.name, '--delete-worker', ...(ctx.output.interactive ? [] : ['--yes'])) : undefined,
  });
  return ExitCode.ok;
}

function describeFate(fate: WorkerFate, client: Client, target: Target | undefined): string {
  return fate === 'delete'
    ? `Delete worker ${client.workerName}${target ? ` on ${targetName(target)}` : ''} and remove ${client.name}`
    : `Remove ${client.name}, leaving worker ${client.workerName} serving with its key,`;
}

async function askFate(ctx: CommandContext, fleet: Fleet, client: Client): Promise<WorkerFate> {
  if (!ctx.output.interactive)
    throw usageError(
      `removing ${client.name} needs --delete-worker or --keep-worker: its worker ${client.workerName} keeps serving with its key unless it is deleted`,
      // Two ways on, one a line (printError indents the hint's first line; the second is indented here).
      `Delete the worker too: ${commandLine('remove', client.name, '--delete-worker', '--yes')}\n  Keep it serving: ${commandLine('remove', client.name, '--keep-worker', '--yes')}`,
    );
  const { choose } = await import('../../ui/prompts.js');
  const fate = await choose<WorkerFate | 'cancel'>(`Remove ${client.name} from ${fleet.configPath}. Its worker ${client.workerName}:`, [
    { value: 'delete', label: `delete it (it stops serving; its secrets and versions go with it)` },
    { value: 'keep', label: `keep it serving (its key still opens it)` },
    { value: 'cancel', label: 'cancel: change nothing' },
  ]);
  if (fate === undefined || fate === 'cancel') throw usageError('not confirmed; nothing was changed');
  return fate;
}

async function confirmOrRefuse(ctx: CommandContext, what: string, words: readonly string[], question: string): Promise<void> {
  if (!ctx.output.interactive)
    throw usageError(`${what} needs confirmation`, `Pass --yes to confirm without a prompt: ${commandLine('remove', ...words, '--yes')}`);
  const { confirm } = await import('../../ui/prompts.js');
  if (!(await confirm(question))) throw usageError('not confirmed; nothing was changed');
}

async function refuseUnknown(ctx: CommandContext, fleet: Fleet, name: string): Promise<never> {
  const [{ latestRemoval }, { clientNameProblem }, { clientsHint }] = await Promise.all([
    import('../../ops/project/removed-store.js'),
    import('../../fleet/names.js'),
    import('../../fleet/fleet.js'),
  ]);
  const known = `Clients: ${fleet.clients.map((c) => c.name).join(', ') || 'none'}`;
  const kept = clientNameProblem(name) === undefined ? await latestRemoval(fleet.dir, name) : undefined;
  throw usageError(
    `${name} is not a client (no env.${name} in ${fleet.configPath})`,
    kept
      ? `${known}. ${name} was removed on ${kept.stamp}: bring it back with ${commandLine('restore', name)}, or delete the worker it left with ${commandLine('remove', name, '--delete-worker', ...(ctx.output.interactive ? [] : ['--yes']))}`
      : clientsHint(fleet, [name]),
  );
}

/** `remove <client> --delete-worker` for a client no longer in the config: its worker, after confirmation. */
async function deleteRemovedWorker(ctx: CommandContext, fleet: Fleet, request: RemoveRequest): Promise<ExitCode> {
  const [{ removedClientWorker, deleteWorker }, { createWorkersApi }, { renderRemovedWorker }, { removedWorkerJson }] = await Promise.all([
    import('../../ops/project/delete-worker.js'),
    import('../../cloudflare/workers-api.js'),
    import('../../ui/project-report.js'),
    import('../../ui/json/project.js'),
  ]);
  const target = await resolveFleetTarget(ctx, fleet, request);
  const api = createWorkersApi(target);
  const found = await removedClientWorker(fleet, request.client, api);
  if (!request.yes)
    await confirmOrRefuse(
      ctx,
      `deleting worker ${found.worker} of ${found.client}`,
      [found.client, '--delete-worker'],
      `Delete worker ${found.worker} on ${targetName(target)}? (${found.client} was removed from ${fleet.configPath} earlier)`,
    );
  const worker = await deleteWorker(api, found.worker);
  ctx.output.result(removedWorkerJson(found.client, worker));
  renderRemovedWorker(ctx.output, found, worker, targetName(target));
  return ExitCode.ok;
}
