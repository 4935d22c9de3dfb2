import pc from 'picocolors';
import type { HistoryEvent } from '../ops/history/events.js';
import type { HistoryResult } from '../ops/history/history.js';
import { commandLine } from '../util/next-step.js';
import { ageOf } from './status-report.js';
import { renderTable } from './table.js';

/** `history`: per client, one row per deployment (and per version never deployed), newest first. */

function versionsCell(event: HistoryEvent): string {
  return event.versions
    .map((share) => `${share.versionId.slice(0, 8)}${share.percentage === undefined ? '' : ` ${share.percentage}%`}`)
    .join(', ');
}

function bundleCell(event: HistoryEvent): string {
  const tags = [...new Set(event.versions.map((share) => share.bundleTag ?? '-'))];
  return tags.join(', ');
}

function clientHistory(result: HistoryResult, now: number): string[] {
  const heading = pc.bold(`${result.client}${result.worker === result.client ? '' : ` (worker ${result.worker})`}`);
  if (result.error) return [`${heading}: ${pc.red('could not be read')}`];
  if (result.exists === false)
    return [`${heading}: no worker ${result.worker} in the account (${commandLine('deploy', result.client)} creates it)`];
  const deployments = result.events.filter((event) => event.deploymentId !== undefined).length;
  const lines = [
    `${heading}: ${deployments} deployment${deployments === 1 ? '' : 's'}, ${result.versions.length} version${result.versions.length === 1 ? '' : 's'} listed`,
  ];
  const rows = result.events.map((event) => [
    event.live ? pc.green('▶') : ' ',
    ageOf(event.at, now),
    versionsCell(event),
    event.kind === 'rollback' ? pc.yellow(event.what) : event.what,
    bundleCell(event),
  ]);
  lines.push(renderTable(['', 'WHEN', 'VERSIONS', 'WHAT', 'BUNDLE'], rows));
  // The newest version that is not live now: what a rollback --to would most likely name.
  const live = new Set(result.events.find((event) => event.live)?.versions.map((share) => share.versionId) ?? []);
  const earlier = result.events.flatMap((event) => event.versions).find((share) => !live.has(share.versionId));
  if (earlier) lines.push(pc.dim(`Back to one of them: ${commandLine('rollback', result.client, '--to', earlier.versionId.slice(0, 8))}`));
  return lines;
}

export function renderHistoryReport(results: readonly HistoryResult[], now = Date.now()): string {
  return results.map((result) => clientHistory(result, now).join('\n')).join('\n\n');
}
