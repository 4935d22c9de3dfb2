import { resolve } from 'node:path';
import pc from 'picocolors';
import type { FleetProgress } from '../../ui/fleet-progress.js';
import { ExitCode } from '../../util/errors.js';
import { programName } from '../../util/next-step.js';
import type { CommandContext } from '../define.js';

export async function runDemoCommand(ctx: CommandContext, dir: string | undefined): Promise<ExitCode> {
  const [{ runDemo }, { createFleetProgress }, { renderVerifyReport }, { nextSteps, renderDemoTable }] = await Promise.all([
    import('../../ops/demo.js'),
    import('../../ui/fleet-progress.js'),
    import('../../ui/verify-report.js'),
    import('../../ui/demo-report.js'),
  ]);
  const out = ctx.output;
  let progress: FleetProgress | undefined;
  const stepStarted = new Map<string, number>();
  const result = await runDemo({
    dir: dir === undefined ? undefined : resolve(ctx.cwd, dir),
    events: {
      step(step, title, ok, detail) {
        if (ok === undefined) {
          stepStarted.set(step, Date.now());
          out.info(`${pc.cyan('▸')} ${title}`);
          return;
        }
        progress?.stop();
        progress = undefined;
        const took = pc.dim(`(${((Date.now() - (stepStarted.get(step) ?? Date.now())) / 1000).toFixed(1)} s)`);
        out.info(`  ${ok ? pc.green('✔') : pc.red('✖')} ${detail ?? ''} ${took}`);
      },
      clients(_step, clients) {
        progress = createFleetProgress(out, clients);
        return progress.update;
      },
      verified(_step, report) {
        out.info(renderVerifyReport(report).replace(/^/gm, '    '));
      },
    },
  });
  out.result(result);
  out.info('');
  out.info(renderDemoTable(result));
  out.info('');
  if (result.ok) {
    out.success(`demo passed in ${(result.totalMs / 1000).toFixed(1)} s (project left in ${result.dir})`);
    out.info('');
    out.info(nextSteps(programName()));
    return ExitCode.ok;
  }
  out.info(`${pc.red('✖')} demo failed at step "${result.failedStep ?? 'unknown'}": ${result.error ?? ''}`);
  out.info(`  the project is left in ${result.dir} for a look`);
  return ExitCode.failed;
}
