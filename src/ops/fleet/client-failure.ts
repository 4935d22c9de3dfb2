import { describeError, ExitCode, isFleetError } from '../../util/errors.js';

/** Why one client failed, secret-free. exitCode 2 when its input was bad (a file), 1 otherwise. */
export interface ClientFailure {
  message: string;
  hint?: string;
  exitCode: 1 | 2;
}

export function clientFailure(error: unknown): ClientFailure {
  if (isFleetError(error)) {
    return {
      message: error.message,
      ...(error.hint ? { hint: error.hint } : {}),
      exitCode: error.exitCode === ExitCode.usage ? 2 : 1,
    };
  }
  return { message: describeError(error), exitCode: 1 };
}

/**
 * Exit code of a fleet command from each selected client's failure (undefined = succeeded):
 * 0 when all succeeded; 2 when every client failed on bad input, so nothing was done; else 1.
 */
export function fleetExitCode(failures: readonly (ClientFailure | undefined)[]): ExitCode {
  const failed = failures.filter((failure): failure is ClientFailure => failure !== undefined);
  if (failed.length === 0) return ExitCode.ok;
  return failed.length === failures.length && failed.every((failure) => failure.exitCode === 2) ? ExitCode.usage : ExitCode.failed;
}

/**
 * Exit code of a read-only comparison (`status`, `secrets status`): a client that could not be read
 * decides as any fleet command's failure does; otherwise any difference from the project is exit 1.
 */
export function statusExitCode(results: readonly { error?: ClientFailure | undefined; inSync: boolean }[]): ExitCode {
  const errors = results.map((result) => result.error);
  if (errors.some((error) => error !== undefined)) return fleetExitCode(errors);
  return results.every((result) => result.inSync) ? ExitCode.ok : ExitCode.failed;
}
