import type { RecipientsChange } from '../../ops/secrets/recipients.js';
import type { SealResult } from '../../ops/secrets/seal.js';
import type { CommandContext } from '../define.js';

/** seal, unseal and the recipients commands: local files only (no target, no API). */

export async function runSealCommand(
  ctx: CommandContext,
  names: readonly string[],
  flags: { all: boolean; force: boolean },
  which: 'seal' | 'unseal',
) {
  const [{ loadFleet, selectClients }, seal, { createFleetProgress }, { renderProblems }, { fleetExitCode }, { sealJson }] =
    await Promise.all([
      import('../../fleet/fleet.js'),
      import('../../ops/secrets/seal.js'),
      import('../../ui/fleet-progress.js'),
      import('../../ui/fleet-report.js'),
      import('../../ops/fleet/client-failure.js'),
      import('../../ui/json/sealed.js'),
    ]);
  const fleet = await loadFleet(ctx.cwd);
  const clients = selectClients(fleet, names, flags.all);
  await seal.refuseStraySealedFiles(fleet);
  const display = createFleetProgress(
    ctx.output,
    clients.map((client) => client.name),
  );
  const op = which === 'seal' ? seal.sealSecrets : seal.unsealSecrets;
  const results = await op({ fleet, clients, force: flags.force, onProgress: display.update }).finally(() => display.stop());
  ctx.output.info(summary(results, which));
  const problems = renderProblems(results);
  if (problems.length > 0) ctx.output.problem(['', ...problems].join('\n'));
  const exitCode = fleetExitCode(results.map((result) => result.error));
  ctx.output.result(sealJson(results, exitCode === 0));
  return exitCode;
}

function summary(results: readonly SealResult[], which: 'seal' | 'unseal'): string {
  const done = results.filter((result) => result.action !== 'unchanged' && !result.error).length;
  const same = results.filter((result) => result.action === 'unchanged' && !result.error).length;
  const failed = results.filter((result) => result.error).length;
  const parts = [`${done} ${which}ed`, `${same} unchanged`, ...(failed > 0 ? [`${failed} failed`] : [])];
  const next =
    which === 'seal' && done > 0
      ? `\nCommit them: git add ${results
          .filter((result) => result.action === 'sealed')
          .map((result) => result.sealedFile)
          .join(' ')} .secrets-recipients .gitignore`
      : '';
  return `${parts.join(', ')}${next}`;
}

export function renderRecipientsChange(change: RecipientsChange, verb: 'added' | 'removed'): string {
  const lines: string[] = [];
  if (change.changed) lines.push(`${verb} ${change.changed.recipient}${change.changed.label ? ` (${change.changed.label})` : ''}`);
  else lines.push('already a recipient; every sealed file sealed again for the current list');
  lines.push(
    `${change.resealed.filter((result) => !result.error).length} sealed file(s) sealed again for ${change.recipients.length} recipient(s)`,
  );
  if (verb === 'removed')
    lines.push(
      'This does not revoke what that person already saw: they may hold copies of every secret they could open. Rotate the keys that matter: mcp-fleet secrets rotate --all',
    );
  return lines.join('\n');
}
