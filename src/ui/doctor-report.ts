import pc from 'picocolors';
import type { DoctorReport } from '../ops/doctor/doctor.js';

/** doctor's report: one line per check, its fix under every non-ok one, and a summary line. */

const MARK = { ok: pc.green('✔'), warn: pc.yellow('!'), fail: pc.red('✖') } as const;

export function renderDoctor(report: DoctorReport): string {
  const lines = [report.project ? `project: ${report.project}` : 'not in a fleet project: checking the environment and the token only'];
  for (const check of report.checks) {
    lines.push(`${MARK[check.status]} ${check.title}: ${check.detail}`);
    if (check.fix !== undefined && check.status !== 'ok') lines.push(`    fix: ${check.fix}`);
  }
  const count = (status: 'ok' | 'warn' | 'fail') => report.checks.filter((check) => check.status === status).length;
  const failed = count('fail');
  lines.push(
    '',
    `${count('ok')} ok, ${count('warn')} warning${count('warn') === 1 ? '' : 's'}, ${failed} failed${failed > 0 ? ' — fix the ✖ lines first' : ''}`,
  );
  return lines.join('\n');
}
