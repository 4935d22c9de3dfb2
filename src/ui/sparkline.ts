const BARS = '▁▂▃▄▅▆▇█';

/**
 * One character per value, scaled to the largest: an empty bucket is the lowest bar and any
 * traffic at least the second, so a single request still shows.
 */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  return values
    .map((value) => {
      if (!(value > 0) || max === 0) return BARS[0];
      return BARS[1 + Math.floor((value / max) * (BARS.length - 2))];
    })
    .join('');
}
