import pc from 'picocolors';
import type { ClientFailure } from '../ops/fleet/client-failure.js';
import type { PushResult } from '../ops/secrets/push.js';
import type { RetireResult } from '../ops/secrets/retire.js';
import type { RotateResult } from '../ops/secrets/rotate.js';
import type { StatusResult } from '../ops/secrets/status.js';
import { commandLine } from '../util/next-step.js';
import { renderTable } from './table.js';

/** Summary tables of the fleet operations (their --json documents are in json/). Results hold names, never values. */

const OK = pc.green('✔');
const FAIL = pc.red('✖');

function failureLines(client: string, error: ClientFailure | undefined, extra: readonly string[] = []): string[] {
  if (!error) return [];
  const lines = [`${pc.red(client)}: ${error.message}`];
  if (error.hint) lines.push(`  ${pc.dim(error.hint)}`);
  for (const line of extra) lines.push(`  ${pc.dim('│')} ${line}`);
  return lines;
}

/** Warnings an op returned for a client: shown whether or not the client succeeded. */
function warningLines(client: string, warnings: readonly string[]): string[] {
  return warnings.map((warning) => `${pc.yellow('!')} ${client}: ${warning}`);
}

/**
 * Why clients failed (and what an op warned about), for stderr: the table and summary stay on
 * stdout, so `… > report.txt` still shows the reasons on the terminal.
 */
export function renderProblems(
  results: readonly {
    client: string;
    error?: ClientFailure | undefined;
    warnings?: readonly string[];
    output?: readonly string[] | undefined;
  }[],
): string[] {
  const warnings = results.flatMap((result) => warningLines(result.client, result.warnings ?? []));
  const failures = results.flatMap((result) => failureLines(result.client, result.error, result.output?.slice(-12)));
  return [...warnings, ...failures];
}

function summary(verb: string, ok: number, failed: number, seconds?: number): string {
  const text = `${ok} ${verb}, ${failed} failed${seconds === undefined ? '' : ` in ${seconds.toFixed(1)} s`}`;
  return failed === 0 ? pc.green(text) : pc.red(text);
}

export function renderPushReport(results: readonly PushResult[]): string {
  const rows = results.map((result) => [
    result.ok ? OK : FAIL,
    result.client,
    result.ok ? 'pushed' : 'failed',
    result.ok
      ? result.keys.join(', ') + (result.skippedEmpty.length ? pc.dim(` (empty, skipped: ${result.skippedEmpty.join(', ')})`) : '')
      : '-',
  ]);
  const lines = [renderTable(['', 'CLIENT', 'RESULT', 'SECRETS'], rows)];
  lines.push('', summary('pushed', results.filter((r) => r.ok).length, results.filter((r) => !r.ok).length));
  return lines.join('\n');
}

function list(names: readonly string[]): string {
  return names.length ? names.join(', ') : '-';
}

/** `secrets status`: per client, which secret names the worker and .secrets.<client> disagree on. */
const SEAL_LABEL: Record<StatusResult['sealed'], string> = {
  'in-sync': 'in sync',
  differs: pc.yellow('differs'),
  'plain-only': 'plain only',
  'sealed-only': 'sealed only',
  neither: '-',
  unknown: pc.dim('? (no identity)'),
};

export function renderSecretsStatusReport(results: readonly StatusResult[]): string {
  const rows = results.map((result) => {
    const state = result.error
      ? pc.red(result.unreachable ? 'not reached' : 'error')
      : result.deployed === false
        ? pc.yellow('not deployed')
        : result.inSync
          ? pc.green('in sync')
          : result.pendingRotation
            ? pc.yellow(`rotation of ${result.pendingRotation} unfinished`)
            : result.sealed === 'differs'
              ? pc.yellow('not sealed: the plain file differs from its sealed copy')
              : pc.yellow('differs');
    return [
      result.inSync ? OK : FAIL,
      result.client,
      state,
      list(result.missingRemotely),
      list(result.extraRemotely),
      list(result.missingLocally),
      SEAL_LABEL[result.sealed],
    ];
  });
  const lines = [renderTable(['', 'CLIENT', 'STATE', 'MISSING REMOTELY', 'EXTRA REMOTELY', 'MISSING LOCALLY', 'SEALED'], rows)];
  if (results.some((result) => result.sealed === 'differs'))
    lines.push(
      '',
      `Seal the plain files' changes (${commandLine('secrets', 'seal', '<client>')}), or take the sealed copy (${commandLine('secrets', 'unseal', '<client>', '--force')}).`,
    );
  lines.push(
    '',
    pc.dim('Names only: Cloudflare never returns secret values, so a changed value under the same name is not shown; push to be sure.'),
  );
  lines.push(secretsStatusSummary(results));
  return lines.join('\n');
}

/** "2 in sync, 1 differs": a client that could not be compared is counted as such, never as one that differs. */
function secretsStatusSummary(results: readonly StatusResult[]): string {
  const inSync = results.filter((r) => r.inSync).length;
  const differ = results.filter((r) => !r.inSync && !r.error).length;
  const unreached = results.filter((r) => r.error && r.unreachable).length;
  const unread = results.filter((r) => r.error && !r.unreachable).length;
  const parts = [`${inSync} in sync`];
  if (differ > 0) parts.push(`${differ} differ`);
  if (unread > 0) parts.push(`${unread} could not be compared`);
  if (unreached > 0) parts.push(`${unreached} not compared: the API could not be reached`);
  const text = parts.join(', ');
  return unreached + unread > 0 ? pc.red(text) : differ > 0 ? pc.yellow(text) : pc.green(text);
}

export function renderRotateReport(results: readonly RotateResult[]): string {
  const rows = results.map((result) => [
    result.ok ? OK : FAIL,
    result.client,
    result.key,
    result.ok
      ? `rotated${result.resumed ? ' (resumed)' : ''}`
      : `failed (${result.reached === 'none' ? 'nothing changed' : result.reached === 'unknown' ? 'unknown — re-run to converge' : result.reached})`,
    result.proof
      ? result.proof.ok
        ? result.proof.grace
          ? 'new accepted, old valid until retire'
          : 'new accepted, old refused'
        : 'not proven'
      : result.ok
        ? 'not checkable'
        : '-',
    result.backup ?? '-',
  ]);
  const lines = [renderTable(['', 'CLIENT', 'KEY', 'RESULT', 'PROOF', 'BACKUP'], rows)];
  lines.push('', summary('rotated', results.filter((r) => r.ok).length, results.filter((r) => !r.ok).length));
  // Nothing outside can prove the upstream learnt the new signing key: say whose move it is.
  if (results.some((r) => r.ok && r.key === 'UPSTREAM_SIGNING_KEY')) {
    lines.push(
      "Give each client's upstream its new UPSTREAM_SIGNING_KEY (in its secrets file); a previous key kept with --grace keeps verifying until `secrets retire`.",
    );
  }
  return lines.join('\n');
}

export function renderRetireReport(results: readonly RetireResult[]): string {
  const rows = results.map((result) => [
    result.ok ? OK : FAIL,
    result.client,
    result.ok ? (result.retired ? 'previous key retired' : 'nothing to retire') : 'failed',
    result.proof ? (result.proof.ok ? 'previous refused, current accepted' : 'not proven') : '-',
  ]);
  const lines = [renderTable(['', 'CLIENT', 'RESULT', 'PROOF'], rows)];
  lines.push('', summary('done', results.filter((r) => r.ok).length, results.filter((r) => !r.ok).length));
  return lines.join('\n');
}
