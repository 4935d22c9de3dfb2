import type { DoctorReport } from '../../ops/doctor/doctor.js';
import { SCHEMA_VERSION, type SchemaVersion } from './common.js';

/** `doctor --json`: every check with its status and, when not ok, its fix. Secret-free: checks name files and permissions, never values. */

export interface DoctorCheckJson {
  /** Stable: node, wrangler, token, account, token.permission.<group>, token.permissions, config, secrets.modes, secrets.git, edge, template, config.sections. */
  id: string;
  title: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  /** A command or a sentence; null when the check is ok. */
  fix: string | null;
}

export interface DoctorJson {
  schemaVersion: SchemaVersion;
  /** false when a check failed (exit 1); warnings alone leave it true. */
  ok: boolean;
  /** The project directory checked; null outside a project (only the environment and the token are checked). */
  project: string | null;
  summary: { ok: number; warn: number; fail: number };
  checks: DoctorCheckJson[];
}

export function doctorJson(report: DoctorReport): DoctorJson {
  const count = (status: DoctorCheckJson['status']) => report.checks.filter((check) => check.status === status).length;
  return {
    schemaVersion: SCHEMA_VERSION,
    ok: report.ok,
    project: report.project ?? null,
    summary: { ok: count('ok'), warn: count('warn'), fail: count('fail') },
    checks: report.checks.map((check) => ({
      id: check.id,
      title: check.title,
      status: check.status,
      detail: check.detail,
      fix: check.fix ?? null,
    })),
  };
}
