/**
 * Every command line mcp-fleet prints as a next step or hint is built here, so that it runs as
 * printed: with the program as this person can start it (`mcp-fleet`, `npx mcp-fleet`,
 * `node bin/mcp-fleet.js`), the project they named with -C, and the target flags in force
 * (`--local`) on the commands that take them. The CLI says once, at start, how it was invoked.
 */

export interface Invocation {
  /** How to start mcp-fleet again, e.g. `npx mcp-fleet`. */
  readonly program: string;
  /** Global arguments that must come along, e.g. `-C ../fleet`. */
  readonly global: readonly string[];
  /** Target arguments in force, e.g. `--local`. */
  readonly target: readonly string[];
  /** The commands (`deploy`, `secrets push`) that take the target arguments. */
  readonly targeted: ReadonlySet<string>;
}

let current: Invocation = { program: 'mcp-fleet', global: [], target: [], targeted: new Set() };

export function setInvocation(invocation: Invocation): void {
  current = invocation;
}

/** Quotes a word for a POSIX shell only when it needs it. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+,=-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * `commandLine('deploy', 'acme')` → `node bin/mcp-fleet.js -C ../fleet deploy acme --local`.
 * Words are shell-quoted (a placeholder such as `<client>` is left as it is, for a person to fill in).
 */
export function commandLine(...words: string[]): string {
  return line(current.global, words);
}

/** As commandLine, for a command that acts on the project in `dir` (the one init just made), wherever this ran. */
export function commandLineIn(dir: string, ...words: string[]): string {
  return line(['-C', dir], words);
}

function line(global: readonly string[], words: readonly string[]): string {
  // `secrets rotate acme` is the command `secrets rotate`; `deploy acme` is `deploy`.
  const takesTarget = current.targeted.has(words.slice(0, 2).join(' ')) || current.targeted.has(words[0] ?? '');
  const target = takesTarget ? current.target.filter((arg) => !words.includes(arg)) : [];
  return [current.program, ...global.map(shellQuote), ...words.map(quoteWord), ...target].join(' ');
}

function quoteWord(word: string): string {
  // `<client>`, `<version-id>`, `…`: placeholders a person replaces; `--key` and names as they are.
  if (/^<[a-z-]+>$/.test(word) || word === '…') return word;
  return shellQuote(word);
}

/** How this person starts mcp-fleet (`npx mcp-fleet`, `node bin/mcp-fleet.js`, `mcp-fleet`), for steps in a new project. */
export function programName(): string {
  return current.program;
}
