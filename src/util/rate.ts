/** A rate written `N/SECONDS` (e.g. `1200/300`): N requests in any window of SECONDS. */
export interface Rate {
  requests: number;
  seconds: number;
}

/** Parses `N/SECONDS` (an `s` suffix is allowed); undefined when malformed or not positive. */
export function parseRate(text: string): Rate | undefined {
  const match = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)\s*s?\s*$/.exec(text);
  if (!match) return undefined;
  const requests = Number(match[1]);
  const seconds = Number(match[2]);
  if (!Number.isSafeInteger(requests) || requests < 1 || !(seconds > 0)) return undefined;
  return { requests, seconds };
}
