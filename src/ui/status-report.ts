import pc from 'picocolors';
import { envNameProblem } from '../fleet/names.js';
import type { ClientStatus, TrafficShare } from '../ops/status/client-status.js';
import type { Capacity, CodeState } from '../ops/status/drift.js';
import type { FleetStatus } from '../ops/status/status.js';
import { commandLine } from '../util/next-step.js';
import { renderTable } from './table.js';

/** The table of `status`: one row per client, then notes on what drifted, the local build and the account's capacity. */

const OK = pc.green('✔');
const DRIFT = pc.red('✖');

/** "12 s ago", "3 min ago", "5 h ago", "2 d ago"; '-' for an unknown or unreadable time. */
export function ageOf(iso: string | undefined, now: number): string {
  const at = iso === undefined ? Number.NaN : Date.parse(iso);
  if (Number.isNaN(at)) return '-';
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

function codeCell(state: CodeState | undefined): string {
  if (state === 'current') return pc.green('current');
  if (state === 'behind') return pc.yellow('behind');
  return state === 'unknown' ? pc.yellow('unknown') : '-';
}

function trafficCell(traffic: readonly TrafficShare[]): string {
  if (traffic.length === 0) return '-';
  if (traffic.length === 1) return `${traffic[0]?.percentage ?? 100}%`;
  return pc.yellow(traffic.map((share) => `${share.versionId.slice(0, 8)} ${share.percentage}% ${share.code}`).join(' · '));
}

function secretsCell(secrets: ClientStatus['secrets']): string {
  if (secrets.inSync) return pc.green('in sync');
  const parts = [
    secrets.missingRemotely.length > 0 ? `missing remotely: ${secrets.missingRemotely.join(', ')}` : '',
    secrets.extraRemotely.length > 0 ? `extra remotely: ${secrets.extraRemotely.join(', ')}` : '',
    secrets.missingLocally.length > 0 ? `missing locally: ${secrets.missingLocally.join(', ')}` : '',
    secrets.pendingRotation ? `rotation of ${secrets.pendingRotation} unfinished` : '',
    secrets.sealed === 'differs' ? 'plain file differs from its sealed copy (secrets seal)' : '',
  ].filter((part) => part !== '');
  return pc.yellow(parts.join('; ') || 'differs');
}

function compatCell(compat: ClientStatus['compatibilityDate']): string {
  if (compat.deployed === undefined) return '-';
  return compat.matches === false ? pc.yellow(`${compat.deployed} (config: ${compat.config})`) : compat.deployed;
}

function verifyCell(verify: ClientStatus['verify']): string {
  if (!verify) return '-';
  if (verify.ok) return pc.green('passed');
  return pc.red(verify.failed.length > 0 ? `failed: ${verify.failed.join(', ')}` : 'not verified');
}

function row(result: ClientStatus, now: number, withVerify: boolean): string[] {
  const tail = withVerify ? [verifyCell(result.verify)] : [];
  const auth = result.auth.join(',');
  if (result.error) return [DRIFT, pc.red(result.client), auth, pc.red('error'), '', '', '', '', '', ...tail];
  if (result.exists === false)
    return [DRIFT, result.client, auth, pc.yellow('no worker'), '-', '-', '-', secretsCell(result.secrets), '-', ...tail];
  return [
    result.inSync ? OK : DRIFT,
    result.client,
    auth,
    result.versionId?.slice(0, 8) ?? '-',
    ageOf(result.deployedAt, now),
    codeCell(result.code),
    trafficCell(result.traffic),
    secretsCell(result.secrets),
    compatCell(result.compatibilityDate),
    ...tail,
  ];
}

/** Why a client is not in sync, beyond what its row shows. */
function notes(result: ClientStatus): string[] {
  if (result.error || result.inSync) return [];
  const lines: string[] = [];
  if (result.exists === false) lines.push(`no worker ${result.worker} in the account: ${commandLine('deploy', result.client)}`);
  if (result.code !== 'current' && result.codeWhy) lines.push(`code ${result.code}: ${result.codeWhy}`);
  if (result.traffic.length > 1)
    lines.push(
      `two versions share the traffic (a gradual rollout): finish it with ${commandLine('deploy', result.client, '--promote')} or ${commandLine('rollback', result.client)}`,
    );
  if (result.verify?.detail) lines.push(result.verify.detail);
  return lines.map((line) => `${pc.yellow('!')} ${result.client}: ${line}`);
}

function bundleLine(status: FleetStatus): string | undefined {
  if (status.bundles.length === 0) return undefined;
  const parts = status.bundles.map((bundle) => {
    const name = status.bundles.length > 1 ? `group ${bundle.group}: ` : '';
    if (!bundle.ok) return pc.red(`${name}build failed (${bundle.failure ?? 'see the log'})`);
    const how = bundle.cached ? 'reused from the build cache' : `built in ${(bundle.durationMs / 1000).toFixed(1)} s`;
    return `${name}${bundle.tag} (${how})`;
  });
  return pc.dim(`Local build: ${parts.join('; ')}`);
}

export function capacityLine(capacity: Capacity | undefined): string {
  if (!capacity) return pc.dim('Workers in the account: unknown (the list could not be read)');
  const text = `Workers in the account: ${capacity.workers} of ${capacity.limit} (${Math.round(capacity.share * 100)}%)`;
  if (!capacity.warning) return pc.dim(text);
  return pc.yellow(
    `! ${text}: Cloudflare refuses new workers at the limit — remove unused workers, or move tenants to Workers for Platforms (--workers-limit sets another limit, e.g. 100 on Workers Free)`,
  );
}

/** Lines for more workers than this would bury the table; --json lists them all. */
const MAX_NOT_IN_CONFIG_LINES = 20;

/** The account's workers no section names, each with the command that adopts it as a client (keeping its key). */
function notInConfigLines(names: readonly string[] | undefined): string[] {
  if (!names || names.length === 0) return [];
  const lines = [pc.yellow(`In the account, not in the config (${names.length}); adopt one as a client, keeping its key:`)];
  for (const name of names.slice(0, MAX_NOT_IN_CONFIG_LINES)) {
    // A client is named after its worker; a worker name that is no client name (or a reserved one) cannot be adopted as it is.
    lines.push(envNameProblem(name) ? `  ${name}  (not a valid client name)` : `  ${name}  ${commandLine('add', name, '--adopt')}`);
  }
  if (names.length > MAX_NOT_IN_CONFIG_LINES)
    lines.push(`  … and ${names.length - MAX_NOT_IN_CONFIG_LINES} more: ${commandLine('status', '--all', '--json')} lists every one`);
  return lines;
}

export function renderFleetStatus(status: FleetStatus, options: { verify: boolean; now?: number }): string {
  const now = options.now ?? Date.now();
  const header = [
    '',
    'CLIENT',
    'AUTH',
    'VERSION',
    'DEPLOYED',
    'CODE',
    'TRAFFIC',
    'SECRETS',
    'COMPAT DATE',
    ...(options.verify ? ['VERIFY'] : []),
  ];
  const lines = [
    renderTable(
      header,
      status.clients.map((result) => row(result, now, options.verify)),
    ),
  ];
  const noted = status.clients.flatMap(notes);
  if (noted.length > 0) lines.push('', ...noted);
  lines.push('');
  const bundle = bundleLine(status);
  if (bundle) lines.push(bundle);
  const matching = status.clients.filter((result) => result.inSync).length;
  const failed = status.clients.filter((result) => result.error).length;
  const drifted = status.clients.length - matching - failed;
  const summary = `${status.clients.length} client${status.clients.length === 1 ? '' : 's'}: ${matching} match${matching === 1 ? 'es' : ''} the project${drifted > 0 ? `, ${drifted} drifted` : ''}${failed > 0 ? `, ${failed} could not be read` : ''}`;
  lines.push(drifted + failed === 0 ? pc.green(summary) : pc.yellow(summary));
  lines.push(capacityLine(status.capacity));
  lines.push(...notInConfigLines(status.notInConfig));
  return lines.join('\n');
}
