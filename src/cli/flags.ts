import { usageError } from '../util/errors.js';

/** `--concurrency <n>`: a whole number from 1 to 64; absent means the command's default. */
export function parseConcurrency(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1 || n > 64) {
    throw usageError(`--concurrency ${value}: expected a whole number from 1 to 64`);
  }
  return n;
}

/** `--timeout <seconds>`: above 0 and at most 600, fractions allowed; returns milliseconds. */
export function parseTimeoutSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 600) {
    throw usageError(`--timeout ${value}: expected seconds, a number above 0 and at most 600 (e.g. 10 or 2.5)`);
  }
  return Math.round(n * 1000);
}
