import { usageError } from './errors.js';

/**
 * Durations as people type them on a command line: a whole number and a unit, s, m, h or d
 * (`90m`, `12h`, `30d`). Out of range or malformed is bad usage naming the flag.
 */
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

export interface DurationRange {
  minSeconds: number;
  maxSeconds: number;
}

export function parseDuration(text: string, flag: string, range: DurationRange): number {
  const match = /^\s*(\d{1,7})\s*([smhd])\s*$/.exec(text);
  const describe = `between ${formatDuration(range.minSeconds)} and ${formatDuration(range.maxSeconds)}, e.g. 30d, 12h, 90m`;
  if (!match) throw usageError(`${flag}: "${text}" is not a duration`, `Give a whole number and a unit (s, m, h, d), ${describe}.`);
  const seconds = Number(match[1]) * (UNITS[match[2] as string] as number);
  if (seconds < range.minSeconds || seconds > range.maxSeconds)
    throw usageError(`${flag}: ${text} is out of range`, `Give a duration ${describe}.`);
  return seconds;
}

/** The largest whole unit that states a number of seconds exactly (86400 → 1d, 5400 → 90m). */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const)
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}
