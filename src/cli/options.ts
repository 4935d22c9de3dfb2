import { usageError } from '../util/errors.js';
import type { OptionSpec } from './define.js';

/**
 * The option specs commands are declared from. Options several commands take (`--all`, `--local`,
 * `--remote`, `--concurrency`, `--rate-limit`, `--url`) are declared once here, with one wording.
 */

/** A boolean switch: true when given. */
export function flag(flags: string, description: string): OptionSpec<boolean> {
  return { flags, description, parse: (raw) => raw === true };
}

/** `--no-<thing>`: true unless the flag is given. */
export function negatable(flags: `--no-${string}`, description: string): OptionSpec<boolean> {
  return { flags, description, parse: (raw) => raw !== false };
}

/** A value, undefined when absent. */
export function text(flags: string, description: string): OptionSpec<string | undefined> {
  return { flags, description, parse: (raw) => (typeof raw === 'string' ? raw : undefined) };
}

/** A value with a default (shown in help). */
export function textWithDefault(flags: string, description: string, defaultValue: string): OptionSpec<string> {
  return { flags, description, defaultValue, parse: (raw) => (typeof raw === 'string' ? raw : defaultValue) };
}

/** One of a fixed set of words (commander refuses any other, exit 2). */
export function choice<const C extends string>(flags: string, description: string, choices: readonly C[], defaultValue: C): OptionSpec<C> {
  return { flags, description, choices, defaultValue, parse: (raw) => (choices.includes(raw as C) ? (raw as C) : defaultValue) };
}

/** A value turned into T by `convert` (which throws a usage error naming the flag); undefined when absent. */
export function parsed<T>(flags: string, description: string, convert: (raw: string) => T): OptionSpec<T | undefined> {
  return { flags, description, parse: (raw) => (typeof raw === 'string' ? convert(raw) : undefined) };
}

/** As parsed, with a default given as the flag's text (`help`, when set, is how --help shows it). */
export function parsedWithDefault<T>(
  flags: string,
  description: string,
  convert: (raw: string) => T,
  fallback: { raw: string; help?: string },
): OptionSpec<T> {
  return {
    flags,
    description,
    defaultValue: fallback.raw,
    ...(fallback.help === undefined ? {} : { defaultDescription: fallback.help }),
    parse: (raw) => convert(typeof raw === 'string' ? raw : fallback.raw),
  };
}

/** A repeatable value, collected in the order given. */
export function repeatable(flags: string, description: string): OptionSpec<string[]> {
  return { flags, description, repeatable: true, parse: (raw) => (Array.isArray(raw) ? raw.map(String) : []) };
}

/** `--concurrency <n>`: a whole number from 1 to 64. */
function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1 || n > 64) {
    throw usageError(`--concurrency ${value}: expected a whole number from 1 to 64`);
  }
  return n;
}

/** `--timeout <seconds>`: above 0 and at most 600, fractions allowed; returns milliseconds. */
function parseTimeoutSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 600) {
    throw usageError(`--timeout ${value}: expected seconds, a number above 0 and at most 600 (e.g. 10 or 2.5)`);
  }
  return Math.round(n * 1000);
}

export const all = flag('--all', 'every client of the fleet');

export const local = flag('--local', 'act on the local edge (the default after `mcp-fleet local start`, until `local stop`)');

export const remote = flag('--remote', "act on Cloudflare, also while the local edge is the project's default");

/** Where a command acts (see cloudflare/target-choice.ts): every command that takes one takes both. */
export const targetOptions = { local, remote } as const;

export function concurrency(defaultValue: number): OptionSpec<number> {
  return parsedWithDefault('--concurrency <n>', 'clients worked on at once', parseConcurrency, { raw: String(defaultValue) });
}

export const rateLimit = text(
  '--rate-limit <requests/seconds>',
  "API budget for this run (default: MCP_FLEET_RATE_LIMIT, else 1200/300, Cloudflare's limit per token)",
);

export const url = repeatable('--url <client=url>', "the URL of a client's worker, for workers behind other domains (repeatable)");

export function timeout(defaultSeconds: number): OptionSpec<number> {
  return parsedWithDefault('--timeout <seconds>', 'per-request timeout', parseTimeoutSeconds, { raw: String(defaultSeconds) });
}

/** `--summary <file>`: a path, never empty (an unset GITHUB_STEP_SUMMARY would otherwise name no file). */
function parseSummaryFile(value: string): string {
  if (value.trim() === '') throw usageError('--summary needs a file (in GitHub Actions: --summary "$GITHUB_STEP_SUMMARY")');
  return value;
}

export const summary = parsed(
  '--summary <file>',
  "append a Markdown summary (a table, one row per client, and a summary line) to the file, as GitHub Actions' GITHUB_STEP_SUMMARY expects",
  parseSummaryFile,
);

/** `--yes`, only on commands that ask: what it answers is the command's own. */
export function yes(meaning: string): OptionSpec<boolean> {
  return flag('-y, --yes', meaning);
}

/** What every fleet-wide Cloudflare command takes. */
export function fleetOptions(defaultConcurrency: number) {
  return { all, ...targetOptions, concurrency: concurrency(defaultConcurrency), rateLimit, summary } as const;
}
