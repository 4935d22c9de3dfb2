import type { Target } from '../../cloudflare/target.js';
import type { TargetFlags } from '../../cloudflare/target-choice.js';
import type { Fleet } from '../../fleet/fleet.js';
import { ExitCode } from '../../util/errors.js';
import type { CommandContext } from '../define.js';

/** `doctor`: in a project (a wrangler config in the directory) every check; elsewhere the environment and the token. */
export async function runDoctorCommand(ctx: CommandContext, flags: TargetFlags): Promise<ExitCode> {
  const [{ findProjectUp }, { runDoctor }, { renderDoctor }, { doctorJson }, { chooseTarget }, { resolveTarget }] = await Promise.all([
    import('../../config/project-root.js'),
    import('../../ops/doctor/doctor.js'),
    import('../../ui/doctor-report.js'),
    import('../../ui/json/doctor.js'),
    import('../../cloudflare/target-choice.js'),
    import('../../cloudflare/resolve-target.js'),
  ]);
  const found = await findProjectUp(ctx.cwd);
  const dir = found?.dir === ctx.cwd ? ctx.cwd : undefined;
  let fleet: Fleet | undefined;
  let fleetError: unknown;
  if (dir !== undefined) {
    const { loadFleet } = await import('../../fleet/fleet.js');
    fleet = await loadFleet(dir).catch((error: unknown) => {
      fleetError = error;
      return undefined;
    });
  }
  const target = async (): Promise<Target> => {
    const choice = await chooseTarget(dir ?? ctx.cwd, flags);
    return resolveTarget({ projectDir: dir ?? ctx.cwd, choice, configAccountId: fleet?.accountId });
  };
  const report = await runDoctor({ dir, fleet, fleetError, target });
  ctx.output.result(doctorJson(report));
  ctx.output.info(renderDoctor(report));
  return report.ok ? ExitCode.ok : ExitCode.failed;
}
