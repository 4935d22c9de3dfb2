/**
 * What `mcp-fleet doctor` reports, and the pure rules behind its checks (no I/O here: the checks
 * that read files, processes and the API are in environment.ts, token.ts and project.ts).
 */

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  /** Stable, for --json consumers: `node`, `token.permissions`, `secrets.modes`, … */
  id: string;
  /** What was checked, in a few words. */
  title: string;
  status: CheckStatus;
  /** What was found (secret-free). */
  detail: string;
  /** For every non-ok check: a command to run, or a sentence saying what to do. */
  fix: string | undefined;
}

export function ok(id: string, title: string, detail: string): DoctorCheck {
  return { id, title, status: 'ok', detail, fix: undefined };
}

export function warn(id: string, title: string, detail: string, fix: string): DoctorCheck {
  return { id, title, status: 'warn', detail, fix };
}

export function fail(id: string, title: string, detail: string, fix: string): DoctorCheck {
  return { id, title, status: 'fail', detail, fix };
}

/** Whether `version` (process.versions.node, `24.1.0`) is at least `minimum` (`22.12`). */
export function versionAtLeast(version: string, minimum: string): boolean {
  const have = version.replace(/^v/, '').split('.').map(Number);
  const want = minimum
    .replace(/^>=\s*/, '')
    .split('.')
    .map(Number);
  for (let i = 0; i < Math.max(have.length, want.length); i++) {
    const a = have[i] ?? 0;
    const b = want[i] ?? 0;
    if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
    if (a !== b) return a > b;
  }
  return true;
}

/** A permission group the fleet's token needs, by Cloudflare's API name, with how the dashboard says it. */
export interface NeededPermission {
  /** As the API names it: `Workers Scripts Write`. */
  group: string;
  /** As the token editor shows it: `Account → Workers Scripts → Edit`. */
  dashboard: string;
  /** Which commands need it. */
  why: string;
  /** Lacking it fails doctor (the fleet cannot deploy); otherwise a warning (one command cannot run). */
  required: boolean;
}

/** What the project uses that needs more than Workers Scripts (computed from the config). */
export interface FleetFeatures {
  /** Some client has oauth or jwt, whose identity store is a KV namespace. */
  identity: boolean;
  /** Some client binds an Analytics Engine dataset, which `metrics` reads. */
  metrics: boolean;
}

export function neededPermissions(features: FleetFeatures | undefined): NeededPermission[] {
  const needed: NeededPermission[] = [
    {
      group: 'Workers Scripts Write',
      dashboard: 'Account → Workers Scripts → Edit',
      why: 'deploy, rollback, secrets, status',
      required: true,
    },
  ];
  if (features?.identity)
    needed.push({
      group: 'Workers KV Storage Write',
      dashboard: 'Account → Workers KV Storage → Edit',
      why: 'the identity store of clients with oauth or jwt (deploy, users, tokens)',
      required: true,
    });
  needed.push({
    group: 'Account Analytics Read',
    dashboard: 'Account → Account Analytics → Read',
    why: features?.metrics === false ? 'metrics (no client binds a dataset yet)' : 'metrics',
    required: false,
  });
  needed.push({ group: 'Workers Tail Read', dashboard: 'Account → Workers Tail → Read', why: 'logs', required: false });
  return needed;
}

/** Whether holding `held` allows `needed`: the group itself, or its Write for a Read. */
export function holds(held: readonly string[], needed: string): boolean {
  return held.includes(needed) || (needed.endsWith(' Read') && held.includes(`${needed.slice(0, -' Read'.length)} Write`));
}

export const TOKEN_EDITOR = 'dash.cloudflare.com → My Profile → API Tokens';

/** The permission checks for a token that holds `held`: one check per needed group. */
export function permissionChecks(held: readonly string[], needed: readonly NeededPermission[]): DoctorCheck[] {
  return needed.map((permission) => {
    const id = `token.permission.${permission.group.toLowerCase().replaceAll(' ', '-')}`;
    const title = `token permission "${permission.dashboard}"`;
    if (holds(held, permission.group)) return ok(id, title, `granted (${permission.why})`);
    const detail = `the token lacks "${permission.group}" (${permission.dashboard}), which ${permission.why} need${permission.why.includes(',') ? '' : 's'}`;
    const fix = `Edit the token at ${TOKEN_EDITOR} and add "${permission.dashboard}" (or create one from the "Edit Cloudflare Workers" template), then export CLOUDFLARE_API_TOKEN=… again`;
    return permission.required ? fail(id, title, detail, fix) : warn(id, title, detail, fix);
  });
}

/** Group and other bits of a file's mode that let anyone but its owner read or write it. */
export function exposedMode(mode: number): boolean {
  return (mode & 0o077) !== 0;
}

/** Exit 1 when a check failed; warnings alone are exit 0. */
export function doctorFailed(checks: readonly DoctorCheck[]): boolean {
  return checks.some((check) => check.status === 'fail');
}
