import { usageError } from '../../../util/errors.js';
import { didYouMean } from '../../../util/suggest.js';

/**
 * Waves of a progressive rollout. `--waves 1,10%,50%,100%` gives the number of clients deployed
 * by the end of each wave — a count or a share of the clients being deployed, growing — so the
 * default is a canary of one, then a tenth, half, and the rest. The first wave is the canary:
 * `--canary a,b` names its clients instead. The last wave always takes whoever is left.
 */

export const DEFAULT_WAVES = '1,10%,50%,100%';

/** One step of --waves: a number of clients, or a percentage of them. */
export type WaveStep = { count: number } | { percent: number };

const WAVES_HINT = `Give counts or percentages of the clients, growing, e.g. --waves ${DEFAULT_WAVES}`;

export function parseWaves(text: string): WaveStep[] {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.length === 0 || parts.some((part) => part === '')) throw usageError(`--waves ${text}: an empty step`, WAVES_HINT);
  return parts.map((part) => {
    const percent = /^(\d+(?:\.\d+)?)%$/.exec(part);
    if (percent) {
      const value = Number(percent[1]);
      if (value <= 0 || value > 100) throw usageError(`--waves ${text}: ${part} is not a share from above 0% to 100%`, WAVES_HINT);
      return { percent: value };
    }
    if (!/^\d+$/.test(part) || Number(part) < 1)
      throw usageError(`--waves ${text}: "${part}" is neither a count nor a percentage`, WAVES_HINT);
    return { count: Number(part) };
  });
}

/** DEFAULT_WAVES parsed: the steps a rollout takes when --waves is not given. */
export const DEFAULT_WAVE_STEPS: readonly WaveStep[] = parseWaves(DEFAULT_WAVES);

/** Client names for --canary, each one of the clients being deployed. */
export function parseCanary(text: string, clients: readonly string[]): string[] {
  const names = [...new Set(text.split(',').map((name) => name.trim()))];
  if (names.length === 0 || names.some((name) => name === '')) throw usageError(`--canary ${text}: an empty client name`);
  const unknown = names.filter((name) => !clients.includes(name));
  if (unknown.length > 0) {
    throw usageError(
      `--canary: ${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not among the clients being deployed`,
      `${unknown.length === 1 ? didYouMean(unknown[0] as string, clients) : ''}Clients being deployed: ${clients.join(', ')}`,
    );
  }
  return names;
}

/**
 * Splits clients (in order) into waves: the canary first (the named clients, or the first `steps[0]`),
 * then each step's cumulative size; steps that add nobody are skipped; empty input gives no waves.
 */
export function planWaves<T>(
  clients: readonly T[],
  nameOf: (client: T) => string,
  steps: readonly WaveStep[],
  canary?: readonly string[],
): T[][] {
  if (clients.length === 0) return [];
  const total = clients.length;
  const sizeOf = (step: WaveStep) => Math.min(total, 'count' in step ? step.count : Math.ceil((step.percent / 100) * total));
  const named = canary?.length ? clients.filter((client) => canary.includes(nameOf(client))) : [];
  const ordered = named.length > 0 ? [...named, ...clients.filter((client) => !named.includes(client))] : [...clients];
  const waves: T[][] = [];
  let done = 0;
  const take = (upTo: number) => {
    if (upTo <= done) return;
    waves.push(ordered.slice(done, upTo));
    done = upTo;
  };
  if (named.length > 0) take(named.length);
  for (const step of named.length > 0 ? steps.slice(1) : steps) take(Math.max(done, sizeOf(step)));
  take(total);
  return waves;
}
