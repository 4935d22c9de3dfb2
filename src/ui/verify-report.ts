import pc from 'picocolors';
import type { CheckResult } from '../ops/verify/checks.js';
import type { GenerationReport } from '../ops/verify/mcp-checks.js';
import type { ClientVerification, FleetVerification } from '../ops/verify/verification.js';
import { renderTable } from './table.js';

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)}s` : `${ms}ms`;
}

function checkCell(check: CheckResult): string {
  // A skipped check has no latency and no tick (it proved nothing); a failed one (not run) is explained by the check it depended on.
  if (check.skipped) return check.ok ? pc.dim(`– ${check.name} skipped`) : `${pc.red('✖')} ${check.name} ${pc.dim('–')}`;
  const mark = check.advisory ? pc.yellow('!') : check.ok ? pc.green('✔') : pc.red('✖');
  return `${mark} ${check.name} ${pc.dim(formatMs(check.ms))}`;
}

/**
 * One line per client (a mark per check, with its latency), then what MCP it speaks, then each
 * failure, each problem the run did not require (advisory) and each check not run (skipped),
 * explained underneath.
 */
export function renderVerifyReport(report: FleetVerification): string {
  const width = Math.max(0, ...report.clients.map((client) => (client.notDeployed ? 1 : client.checks.length)));
  const rows = report.clients.map((client) => {
    // A worker that does not exist failed every check for one reason: said once, not per check.
    const cells = client.notDeployed ? [pc.red('not deployed')] : client.checks.map(checkCell);
    while (cells.length < width) cells.push('');
    return [client.ok ? pc.green('✔') : pc.red('✖'), client.client, ...cells, pc.dim(client.url)];
  });
  const lines: string[] = [];
  // renderTable wants a header; the first row of its output is dropped again.
  const header = ['', '', ...Array.from({ length: width }, () => ''), ''];
  const table = renderTable(header, rows).split('\n').slice(1);
  report.clients.forEach((client, index) => {
    lines.push(table[index] ?? '');
    if (client.notDeployed) {
      lines.push(`    ${client.notDeployed.detail}; ${client.notDeployed.hint}`);
      return;
    }
    if (client.protocols !== undefined) lines.push(pc.dim(`    speaks ${protocolSummary(client.protocols)}`));
    for (const check of failures(client)) lines.push(`    ${pc.red(check.name)}: ${check.detail}`);
    for (const check of client.checks.filter((entry) => entry.advisory)) lines.push(`    ${pc.yellow(check.name)}: ${check.detail}`);
    for (const check of client.checks.filter((entry) => entry.ok && entry.skipped))
      lines.push(`    ${pc.dim(check.name)}: ${check.detail}`);
  });
  lines.push('', summaryLine(report));
  return lines.join('\n');
}

/** "modern 2026-07-28; legacy 2025-11-25, 2025-06-18, 2025-03-26", with what is missing said as such. */
export function protocolSummary(protocols: readonly GenerationReport[]): string {
  return protocols
    .map((entry) => {
      if (entry.ok) return `${entry.generation} ${entry.revisions.join(', ')}`;
      return `${entry.generation} ${entry.unsupported ? 'not served' : 'failed'}`;
    })
    .join('; ');
}

function failures(client: ClientVerification): CheckResult[] {
  // An identity check that was not run because the session failed repeats the mcp failure.
  return client.checks.filter((check) => !check.ok && !(check.skipped && check.name === 'identity'));
}

export function summaryLine(report: FleetVerification): string {
  const failed = report.clients.filter((client) => !client.ok).length;
  const n = report.clients.length;
  const notDeployed = report.clients.filter((client) => client.notDeployed).length;
  const why = notDeployed === 0 ? '' : ` (${notDeployed} not deployed)`;
  const text = `${n} client${n === 1 ? '' : 's'} verified, ${failed} failed${why} in ${(report.ms / 1000).toFixed(1)} s`;
  // A skipped check passed without proving anything; the count keeps an all-green line from hiding it.
  const skipped = report.clients.flatMap((client) => client.checks.filter((check) => check.ok && check.skipped)).length;
  const note = skipped === 0 ? '' : pc.yellow(`; ${skipped} check${skipped === 1 ? '' : 's'} skipped`);
  return (failed === 0 ? pc.green(text) : pc.red(text)) + note;
}
