import pc from 'picocolors';
import { describeLimits } from '../ops/deploy/bake/bake-limits.js';
import type { RollbackResult } from '../ops/deploy/rollback.js';
import type { DeployPlan } from '../ops/deploy/rollout/plan-deploy.js';
import type { DeployOutcome, DeployResult } from '../ops/deploy/rollout/results.js';
import { commandLine } from '../util/next-step.js';
import { renderTable } from './table.js';

/** The deploy (rollout), deploy --plan and rollback reports. Names and version ids only, never a value. */

const MARK: Record<DeployOutcome, string> = {
  deployed: pc.green('✔'),
  'rolled-back': pc.yellow('↩'),
  kept: pc.red('✖'),
  'not-started': pc.dim('–'),
  'not-deployed': pc.red('✖'),
  failed: pc.red('✖'),
};

function short(id: string | undefined): string {
  return id ? id.slice(0, 8) : '-';
}

function how(plan: DeployResult['plan']): string {
  const worker = plan.newWorker === undefined ? '' : plan.newWorker ? 'new, ' : '';
  return plan.method === 'wrangler'
    ? `${worker}wrangler`
    : `${worker}api${plan.buildGroup && plan.buildGroup > 1 ? ` (build ${plan.buildGroup})` : ''}`;
}

export function renderRolloutReport(results: readonly DeployResult[], elapsedMs: number): string {
  const waves = Math.max(0, ...results.map((result) => result.plan.wave ?? 0));
  const rows = results.map((result) => [
    MARK[result.outcome],
    result.client,
    result.outcome,
    result.plan.wave && waves > 0 ? `${result.plan.wave}/${waves}` : '-',
    short(result.versionId),
    how(result.plan),
    result.verify ? (result.verify.ok ? 'ok' : 'failed') : '-',
    result.durationMs === undefined ? '-' : `${(result.durationMs / 1000).toFixed(1)}s`,
    result.url ?? '-',
  ]);
  const lines = [renderTable(['', 'CLIENT', 'RESULT', 'WAVE', 'VERSION', 'HOW', 'VERIFY', 'TIME', 'URL'], rows)];
  const wrangler = results.filter((result) => result.plan.method === 'wrangler' && result.plan.wranglerReason);
  if (wrangler.length > 0) {
    lines.push('', pc.dim('Deployed through wrangler (the direct upload does not handle their config):'));
    for (const result of wrangler) lines.push(pc.dim(`  ${result.client}: ${result.plan.wranglerReason}`));
  }
  const unnamed = results.filter((result) => result.verify && !result.plan.namesVersion);
  if (unnamed.length > 0) {
    lines.push(
      '',
      pc.dim(
        `Verified on whichever version answered (no "version_metadata" in their section, so /health cannot name it; ${commandLine('upgrade-config', '--all')} adds it): ${unnamed.map((result) => result.client).join(', ')}`,
      ),
    );
  }
  // Why each failed client is where it is goes to stderr with the other problems (cli/fleet-run.ts).
  const notStarted = results.filter((result) => result.outcome === 'not-started');
  if (notStarted.length > 0) {
    lines.push('', pc.dim(`${notStarted[0]?.why}: ${notStarted.map((result) => result.client).join(', ')}`));
  }
  const count = (outcome: DeployOutcome) => results.filter((result) => result.outcome === outcome).length;
  const builds = new Set(results.map((result) => result.bundleHash).filter(Boolean)).size;
  const reused = new Set(results.filter((result) => result.bundleReused).map((result) => result.bundleHash)).size;
  const parts = [`${count('deployed')} deployed`];
  for (const outcome of ['rolled-back', 'kept', 'not-started', 'not-deployed', 'failed'] as const) {
    if (count(outcome) > 0) parts.push(`${count(outcome)} ${outcome.replace('-', ' ')}`);
  }
  const buildText = `${builds} build${builds === 1 ? '' : 's'}${reused > 0 ? ` (${reused === builds ? '' : `${reused} `}reused: sources unchanged)` : ''}`;
  const text = `${parts.join(', ')} — ${buildText}, ${waves} wave${waves === 1 ? '' : 's'}, ${(elapsedMs / 1000).toFixed(1)} s`;
  lines.push('', results.every((result) => result.ok) ? pc.green(text) : pc.red(text));
  return lines.join('\n');
}

export function renderPlan(plan: DeployPlan): string {
  const { estimate } = plan;
  const rows = plan.clients.map((client) => [
    client.client,
    client.skip ? pc.red('skipped') : client.newWorker ? 'new' : 'existing',
    client.method,
    client.buildGroup ? String(client.buildGroup) : client.method === 'wrangler' ? 'own' : '-',
    client.wave ? `${client.wave}/${estimate.waves.length}` : '-',
    client.skip ? '0' : String(client.apiCalls),
  ]);
  const lines = [renderTable(['CLIENT', 'WORKER', 'METHOD', 'BUILD', 'WAVE', 'API CALLS'], rows)];
  for (const client of plan.clients) {
    if (client.skip) lines.push(`${pc.red(client.client)}: not deployed: ${client.skip}`);
    else if (client.wranglerReason) lines.push(pc.dim(`${client.client}: through wrangler: it ${client.wranglerReason}`));
  }
  const budget = `${estimate.budget.requests} per ${estimate.budget.windowSeconds} s`;
  lines.push(
    '',
    `${estimate.builds} build${estimate.builds === 1 ? '' : 's'}; ${estimate.waves.length} wave${estimate.waves.length === 1 ? '' : 's'} (${estimate.waves.join(', ') || '-'} clients)`,
    ...(estimate.ramp
      ? [
          `Inside each wave, each existing worker's new version takes ${[...estimate.ramp, 100].join(' %, then ')} % of its traffic, checked${estimate.bake ? ' and baked' : ''} at each step (new workers and wrangler's go to 100 % at once).`,
        ]
      : []),
    ...(estimate.bake
      ? [
          `Each wave, once verified, bakes ${formatDuration(estimate.bake.seconds)}${estimate.ramp ? ' at each step' : ''} on real traffic (${describeLimits(estimate.bake)}); a breach rolls it back and halts the rollout. Up to ${estimate.bake.queriesPerClient} Analytics Engine queries per client.`,
        ]
      : []),
    `${estimate.apiCalls} API calls in all (${budget}): ${estimate.budgetWaitSeconds > 0 ? `the budget alone needs ${formatDuration(estimate.budgetWaitSeconds)}` : 'within one budget window'}; about ${formatDuration(estimate.estimatedSeconds)} in all`,
    pc.dim('Nothing was built or changed (--plan).'),
  );
  return lines.join('\n');
}

export function renderRollbackReport(results: readonly RollbackResult[]): string {
  const rows = results.map((result) => [
    result.ok ? pc.green('✔') : pc.red('✖'),
    result.client,
    result.ok
      ? result.how === 'reuploaded'
        ? 're-uploaded with current secrets'
        : result.how === 'unchanged'
          ? 'already there'
          : 'redeployed'
      : 'failed',
    short(result.fromVersionId),
    short(result.targetVersionId),
    short(result.versionId),
    result.verify ? (result.verify.ok ? 'ok' : 'failed') : '-',
  ]);
  const lines = [renderTable(['', 'CLIENT', 'RESULT', 'FROM', 'TO', 'NOW', 'VERIFY'], rows)];
  for (const result of results.filter((entry) => entry.error)) {
    lines.push('', `${pc.red(result.client)}: ${result.error?.message}`);
    if (result.error?.hint) lines.push(`  ${pc.dim(result.error.hint)}`);
  }
  const ok = results.filter((result) => result.ok).length;
  const text = `${ok} rolled back, ${results.length - ok} failed`;
  lines.push('', ok === results.length ? pc.green(text) : pc.red(text));
  return lines.join('\n');
}

function formatDuration(seconds: number): string {
  return seconds >= 120 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds)} s`;
}
