import pc from 'picocolors';

/**
 * Where a command's words go. Human text goes to stdout, or to stderr under --json so that
 * stdout carries exactly one JSON document. Nothing here may be handed a secret value.
 */
export interface Output {
  readonly json: boolean;
  readonly interactive: boolean;
  /** Human text (a line). */
  info(line: string): void;
  success(line: string): void;
  warn(line: string): void;
  /** Why something failed: always stderr, so redirected results still leave the reasons on the terminal. */
  problem(text: string): void;
  /** The machine-readable result (printed only under --json). */
  result(value: unknown): void;
  /** Live progress, raw (no newline added): always stderr, so stdout carries only results and reports. */
  write(text: string): void;
  /** Whether progress goes to a terminal (and may redraw in place). */
  readonly isTTY: boolean;
}

export interface OutputOptions {
  json: boolean;
  yes: boolean;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}

export function createOutput(options: OutputOptions): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const human = options.json ? stderr : stdout;
  const interactive = !options.yes && Boolean(process.stdin.isTTY) && Boolean(stderr.isTTY) && !process.env.CI;
  return {
    json: options.json,
    interactive,
    isTTY: Boolean(stderr.isTTY),
    info: (line) => human.write(`${line}\n`),
    success: (line) => human.write(`${pc.green('✔')} ${line}\n`),
    warn: (line) => stderr.write(`${pc.yellow('!')} ${line}\n`),
    result: (value) => {
      if (options.json) stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    problem: (text) => stderr.write(`${text}\n`),
    write: (text) => stderr.write(text),
  };
}

/** Prints an error (message and hint) on stderr. */
export function printError(message: string, hint: string | undefined): void {
  process.stderr.write(`${pc.red('✖')} ${message}\n`);
  if (hint) process.stderr.write(`  ${pc.dim(hint)}\n`);
}
