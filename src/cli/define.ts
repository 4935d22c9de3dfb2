import type { Output } from '../ui/output.js';
import type { ExitCode } from '../util/errors.js';

/**
 * How a command is declared: its name, arguments, options (from the shared specs in options.ts),
 * whether it writes, and a handler that loads its op lazily. The handler's flags are typed from
 * the declared options, so no command writes (or casts to) a flags interface of its own.
 */

/** An option: commander's flags and help, plus how its raw value becomes the typed value. */
export interface OptionSpec<T> {
  /** As commander takes them: `--concurrency <n>`, `-C, --cwd <dir>`, `--no-verify`. */
  readonly flags: string;
  readonly description: string;
  /** Commander's default for the raw value (shown in help unless `defaultDescription` says otherwise). */
  readonly defaultValue?: string | boolean | readonly string[];
  readonly defaultDescription?: string;
  readonly choices?: readonly string[];
  /** A repeatable option collects its values into an array. */
  readonly repeatable?: boolean;
  /** The raw value (undefined when absent) to the value the handler gets; throws a usage error naming the flag. */
  readonly parse: (raw: unknown) => T;
}

/** A positional argument. */
export interface ArgSpec<N extends string, T> {
  readonly name: N;
  readonly description: string;
  readonly variadic: boolean;
  readonly required: boolean;
  /** Only for typing: the value the handler gets. */
  readonly _type?: T;
}

export type AnyOptionSpecs = Readonly<Record<string, OptionSpec<unknown>>>;
// biome-ignore lint/suspicious/noExplicitAny: a variance-free bound for the arguments' value types
export type AnyArgSpecs = readonly ArgSpec<string, any>[];

export type FlagsOf<O extends AnyOptionSpecs> = { -readonly [K in keyof O]: O[K] extends OptionSpec<infer T> ? T : never };
export type ArgsOf<A extends AnyArgSpecs> = { [E in A[number] as E['name']]: E extends ArgSpec<string, infer T> ? T : never };

/** What a command's handler works with besides its arguments and flags. */
export interface CommandContext {
  /**
   * The fleet project directory (absolute): -C/--cwd, else the nearest directory from the current
   * one upward holding a wrangler config (else the current directory). See CommandSpec.inCurrentDir.
   */
  readonly cwd: string;
  readonly json: boolean;
  readonly output: Output;
}

export interface CommandInput<A, F> {
  readonly args: A;
  readonly flags: F;
  readonly ctx: CommandContext;
}

/**
 * `write`: the command changes the project or remote state, takes `--no-wait`, and its handler runs
 * holding the project lock. `read`: never takes the lock. `none`: not about a project.
 */
export type Access = 'read' | 'write' | 'none';

export interface CommandSpec<A extends AnyArgSpecs, O extends AnyOptionSpecs> {
  /** `deploy`, or `secrets push` for a subcommand of a group. */
  readonly name: string;
  readonly description: string;
  readonly args: A;
  readonly options: O;
  readonly access: Access;
  /** The command makes a project where it is told (init, demo): cwd is the current directory, never a project above it. */
  readonly inCurrentDir?: boolean;
  /**
   * A writing command's lock is on the project directory; this says otherwise (another
   * directory, or none when these flags only read, as `deploy --plan` does).
   */
  readonly lockDir?: (input: CommandInput<ArgsOf<A>, FlagsOf<O>>) => string | undefined;
  readonly run: (input: CommandInput<ArgsOf<A>, FlagsOf<O>>) => Promise<ExitCode | undefined>;
}

/** A declared command, its types erased for the registry. */
export interface DeclaredCommand {
  readonly name: string;
  readonly description: string;
  readonly args: AnyArgSpecs;
  readonly options: AnyOptionSpecs;
  readonly access: Access;
  readonly inCurrentDir?: boolean;
  readonly lockDir?: (input: CommandInput<Record<string, unknown>, Record<string, unknown>>) => string | undefined;
  readonly run: (input: CommandInput<Record<string, unknown>, Record<string, unknown>>) => Promise<ExitCode | undefined>;
}

/** A group of subcommands (`secrets`, `local`): only a name and what it is for. */
export interface CommandGroup {
  readonly name: string;
  readonly description: string;
}

export function defineCommand<const A extends AnyArgSpecs, const O extends AnyOptionSpecs>(spec: CommandSpec<A, O>): DeclaredCommand {
  return spec as unknown as DeclaredCommand;
}

/** `[clients...]`: the clients to act on (none with `--all`). */
export function clientsArg(description = 'clients to act on (or --all)'): ArgSpec<'clients', string[]> {
  return { name: 'clients', description, variadic: true, required: false };
}

/** A single argument that must be given. */
export function requiredArg<const N extends string>(name: N, description: string): ArgSpec<N, string> {
  return { name, description, variadic: false, required: true };
}

/** An optional single argument. */
export function optionalArg<const N extends string>(name: N, description: string): ArgSpec<N, string | undefined> {
  return { name, description, variadic: false, required: false };
}
