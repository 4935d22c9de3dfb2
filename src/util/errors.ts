/** Exit codes shared by every command. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The one error type for failures a user should read. Thrown anywhere below the CLI,
 * caught once at the top, printed as message + hint, and turned into the exit code.
 * Messages must never carry a secret value.
 */
export class FleetError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;

  constructor(message: string, options: { hint?: string; exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FleetError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.failed;
  }
}

/** Bad usage or bad input: exit 2. */
export function usageError(message: string, hint?: string): FleetError {
  return new FleetError(message, { hint, exitCode: ExitCode.usage });
}

export function isFleetError(error: unknown): error is FleetError {
  return error instanceof FleetError;
}

/** A short, secret-free description of an unknown thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
