import { shellQuote } from './next-step.js';

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

/** What a refused system call was doing, as a person would say it. */
const ACCESS_VERBS: Record<string, string> = {
  open: 'open',
  read: 'read',
  write: 'write',
  mkdir: 'create',
  rename: 'replace',
  unlink: 'remove',
  rmdir: 'remove',
  rm: 'remove',
  scandir: 'list',
  opendir: 'list',
  chmod: 'change the mode of',
  fchmod: 'change the mode of',
  copyfile: 'copy',
  symlink: 'link',
  lstat: 'look at',
  stat: 'look at',
  access: 'look at',
};

/**
 * A file or directory this user may not use (EACCES, EPERM from the filesystem) is bad input, not
 * a bug in mcp-fleet: the error says which path, and what was refused (exit 2). Undefined for any
 * other error, and for a refusal that names no path (a port, a signal): those are reported where
 * they happen. `action` says what the caller was doing ("read") when it knows better than the syscall.
 */
export function accessError(error: unknown, path?: string, action?: string): FleetError | undefined {
  const errno = error as NodeJS.ErrnoException | undefined;
  if (errno?.code !== 'EACCES' && errno?.code !== 'EPERM') return undefined;
  const where = path ?? errno.path;
  if (where === undefined) return undefined;
  const verb = action ?? ACCESS_VERBS[errno.syscall ?? ''] ?? 'use';
  const uid = process.getuid?.();
  const who = uid === undefined ? 'this user' : `this user (uid ${uid})`;
  return new FleetError(`cannot ${verb} ${where}: permission denied for ${who}`, {
    hint: `Run mcp-fleet as the user who owns the project, or give this user access. Who may: ls -ld ${shellQuote(where)}`,
    exitCode: ExitCode.usage,
    cause: error,
  });
}
