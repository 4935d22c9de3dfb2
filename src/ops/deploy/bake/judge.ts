import { type BakeLimits, formatRate } from './bake-limits.js';
import type { BakeFigures } from './bake-sql.js';

/**
 * A bake's verdict on one client's figures:
 * - breach: enough requests, and the error rate or the p95 is over its limit (the wave rolls back);
 * - healthy: enough requests, all within the limits;
 * - too-little-traffic: fewer requests than the minimum, so nothing could be judged (the wave
 *   passes: a client nobody calls cannot be shown bad, and the report says it was not judged);
 * - unreadable: the figures could not be read at the end (the wave fails: a gate that cannot see
 *   must not open);
 * - cut-short: another client of the wave breached first, so its bake ended before a verdict.
 */
export type BakeVerdict = 'breach' | 'healthy' | 'too-little-traffic' | 'unreadable' | 'cut-short';

export interface BakeJudgement {
  verdict: BakeVerdict;
  figures: BakeFigures | undefined;
  errorRate: number | undefined;
  /** One line: the figures that decided. */
  detail: string;
}

export function judgeBake(figures: BakeFigures, limits: BakeLimits, final: boolean): BakeJudgement | undefined {
  const errorRate = errorRateOf(figures);
  const stated = describeFigures(figures, errorRate);
  if (figures.requests < limits.minRequests) {
    return final
      ? { verdict: 'too-little-traffic', figures, errorRate, detail: `not judged: ${stated}, fewer than the ${limits.minRequests} needed` }
      : undefined;
  }
  const over: string[] = [];
  if (errorRate > limits.maxErrorRate) over.push(`error rate ${formatRate(errorRate)} > ${formatRate(limits.maxErrorRate)}`);
  if (limits.maxP95Ms !== undefined && figures.p95Ms !== null && figures.p95Ms > limits.maxP95Ms)
    over.push(`p95 ${figures.p95Ms} ms > ${limits.maxP95Ms} ms`);
  if (over.length > 0) return { verdict: 'breach', figures, errorRate, detail: `${over.join(', ')} (${stated})` };
  return final ? { verdict: 'healthy', figures, errorRate, detail: `healthy: ${stated}` } : undefined;
}

/** Errors (5xx, and failed tool calls answered below 500) over the requests the new version served; 0 without requests. */
export function errorRateOf(figures: BakeFigures): number {
  return figures.requests === 0 ? 0 : (figures.status5xx + figures.toolErrors) / figures.requests;
}

export function describeFigures(figures: BakeFigures, errorRate: number): string {
  const failures = [
    ...(figures.status5xx > 0 ? [`${figures.status5xx} 5xx`] : []),
    ...(figures.toolErrors > 0 ? [`${figures.toolErrors} of ${figures.toolCalls} tool calls failed`] : []),
  ];
  return `${figures.requests} request${figures.requests === 1 ? '' : 's'}, ${formatRate(errorRate)} errors${failures.length > 0 ? ` (${failures.join(', ')})` : ''}, p95 ${figures.p95Ms ?? '-'} ms`;
}
