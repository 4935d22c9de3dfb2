import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  DEFAULT_RETRY_POLICY,
  type FetchLike,
  Pacer,
  pacedFetch,
  parseRateLimit,
  type RetryPolicy,
  retryAfterMs,
} from '../../src/cloudflare/pacer.js';
import type { Clock } from '../../src/util/clock.js';

/** A clock whose sleeps advance time instantly, in order; records every sleep. */
function fakeClock(start = 0): Clock & { sleeps: number[]; time: () => number } {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    time: () => now,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += Math.max(0, ms);
    },
  };
}

/**
 * A clock that moves only when the test says so: sleepers wake once `advance` has passed their
 * time, and an aborted sleep rejects at once, as the system clock's does.
 */
function manualClock(): Clock & { advance: (ms: number) => void; sleepers: () => number } {
  let now = 0;
  const waiting = new Set<{ until: number; wake: () => void }>();
  return {
    now: () => now,
    sleepers: () => waiting.size,
    advance(ms) {
      now += ms;
      for (const sleeper of [...waiting]) {
        if (sleeper.until <= now) {
          waiting.delete(sleeper);
          sleeper.wake();
        }
      }
    },
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const sleeper = { until: now + Math.max(0, ms), wake: resolve };
        waiting.add(sleeper);
        signal?.addEventListener(
          'abort',
          () => {
            waiting.delete(sleeper);
            reject(signal.reason);
          },
          { once: true },
        );
      }),
  };
}

/** Lets queued promise callbacks run (the pacer's queue hands turns over through them). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1_000 };

function respond(status: number, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ success: status < 400 }), { status, headers });
}

describe('parseRateLimit', () => {
  it('reads REQUESTS/SECONDS', () => {
    expect(parseRateLimit('1200/300', 'x')).toEqual({ requests: 1200, windowMs: 300_000 });
    expect(parseRateLimit(' 10 / 1.5s ', 'x')).toEqual({ requests: 10, windowMs: 1_500 });
  });
  it.each(['', '1200', '0/300', '10/0', 'ten/300', '-1/5'])('rejects %j with exit 2', (text) => {
    expect(() => parseRateLimit(text, '--rate-limit')).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});

describe('Pacer', () => {
  it('grants up to the limit at once, then waits for the oldest grant to age out', async () => {
    const clock = fakeClock();
    const pacer = new Pacer([{ requests: 3, windowMs: 1_000 }], clock);
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      await pacer.acquire();
      times.push(clock.time());
    }
    expect(times).toEqual([0, 0, 0, 1_000, 1_000, 1_000, 2_000]);
  });

  it('never exceeds the limit in any window, with concurrent callers', async () => {
    const clock = fakeClock();
    const pacer = new Pacer([{ requests: 5, windowMs: 300 }], clock);
    const times: number[] = [];
    await Promise.all(Array.from({ length: 23 }, () => pacer.acquire().then(() => times.push(clock.time()))));
    times.sort((a, b) => a - b);
    for (const t of times) expect(times.filter((u) => u > t - 300 && u <= t).length).toBeLessThanOrEqual(5);
    expect(times.at(-1)).toBe(1_200);
  });

  it('honours every limit (window and burst)', async () => {
    const clock = fakeClock();
    const pacer = new Pacer(
      [
        { requests: 10, windowMs: 10_000 },
        { requests: 2, windowMs: 100 },
      ],
      clock,
    );
    const times: number[] = [];
    for (let i = 0; i < 12; i++) {
      await pacer.acquire();
      times.push(clock.time());
    }
    expect(times.slice(0, 10)).toEqual([0, 0, 100, 100, 200, 200, 300, 300, 400, 400]);
    expect(times.slice(10)).toEqual([10_000, 10_000]);
  });

  it('charges a reservation as its cost and keeps FIFO order', async () => {
    const clock = fakeClock();
    const pacer = new Pacer([{ requests: 10, windowMs: 1_000 }], clock);
    const order: string[] = [];
    await pacer.acquire(8);
    await Promise.all([
      pacer.acquire(5).then(() => order.push(`big@${clock.time()}`)),
      pacer.acquire(1).then(() => order.push(`small@${clock.time()}`)),
    ]);
    expect(order).toEqual(['big@1000', 'small@1000']);
    expect(pacer.stats.granted).toBe(14);
  });

  it('caps a reservation larger than the window at the window', async () => {
    const clock = fakeClock();
    const pacer = new Pacer([{ requests: 4, windowMs: 1_000 }], clock);
    await pacer.acquire(50);
    expect(clock.time()).toBe(0);
    await pacer.acquire(1);
    expect(clock.time()).toBe(1_000);
  });

  it('holds everyone during a 429 pause', async () => {
    const clock = fakeClock();
    const pacer = new Pacer([{ requests: 100, windowMs: 1_000 }], clock);
    pacer.pauseUntil(5_000);
    const times: number[] = [];
    // Several callers waiting side by side, one of them a reservation: none goes before the pause ends.
    await Promise.all([pacer.acquire(), pacer.acquire(3), pacer.acquire()].map((grant) => grant.then(() => times.push(clock.time()))));
    expect(times).toEqual([5_000, 5_000, 5_000]);
    expect(pacer.stats.granted).toBe(5);
    expect(pacer.stats.rateLimited).toBe(1);
  });

  it('lets an aborted waiter go without blocking the queue', async () => {
    const clock = manualClock();
    const pacer = new Pacer([{ requests: 1, windowMs: 60_000 }], clock);
    await pacer.acquire();
    const controller = new AbortController();
    const waiting = pacer.acquire(1, controller.signal);
    const granted: string[] = [];
    const behind = pacer.acquire().then(() => granted.push(`behind@${clock.now()}`));
    const last = pacer.acquire().then(() => granted.push(`last@${clock.now()}`));
    await settle();
    // The first waiter is asleep until the window has room; the others queue behind it.
    expect(clock.sleepers()).toBe(1);
    controller.abort(new Error('gave up'));
    await expect(waiting).rejects.toThrow('gave up');
    await settle();
    // The next caller took over the wait at once: nothing granted early, and the queue is not stuck.
    expect(clock.sleepers()).toBe(1);
    expect(granted).toEqual([]);
    clock.advance(60_000);
    await behind;
    // The aborted waiter took no slot, so the caller behind it gets the one that freed up...
    expect(granted).toEqual(['behind@60000']);
    // ...and the queue keeps moving in order after it.
    clock.advance(60_000);
    await last;
    expect(granted).toEqual(['behind@60000', 'last@120000']);
    expect(pacer.stats.granted).toBe(3);
  });
});

describe('retryAfterMs and backoff', () => {
  it('reads seconds, HTTP dates and retry-after-ms', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '7' }), 0)).toBe(7_000);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250' }), 0)).toBe(250);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }), now)).toBe(3_000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }), 0)).toBeUndefined();
    expect(retryAfterMs(new Headers(), 0)).toBeUndefined();
  });

  it('grows exponentially, is capped, and keeps at least half of the step', () => {
    expect(backoffMs(0, policy, () => 0)).toBe(50);
    expect(backoffMs(0, policy, () => 1)).toBe(100);
    expect(backoffMs(3, policy, () => 0)).toBe(400);
    expect(backoffMs(10, policy, () => 1)).toBe(1_000);
  });
});

describe('pacedFetch', () => {
  function scripted(responses: (Response | Error)[]): FetchLike & { calls: number } {
    const fn = Object.assign(
      async (): Promise<Response> => {
        fn.calls++;
        const next = responses.shift();
        if (next === undefined) throw new Error('no more responses');
        if (next instanceof Error) throw next;
        return next;
      },
      { calls: 0 },
    );
    return fn;
  }

  it('retries 5xx and connection errors with backoff, then succeeds', async () => {
    const clock = fakeClock();
    const pacer = new Pacer([{ requests: 100, windowMs: 1_000 }], clock);
    const base = scripted([respond(502), new TypeError('fetch failed'), respond(200)]);
    const paced = pacedFetch({ pacer, policy, fetch: base, clock, random: () => 0 });
    const response = await paced('https://api.example/x', { method: 'PATCH', body: '{}' });
    expect(response.status).toBe(200);
    expect(base.calls).toBe(3);
    expect(clock.sleeps).toEqual([50, 100]);
    expect(pacer.stats.retries).toBe(2);
  });

  it('waits out Retry-After on a 429 by pausing the whole pacer', async () => {
    const clock = fakeClock();
    const pacer = new Pacer([{ requests: 100, windowMs: 1_000 }], clock);
    const base = scripted([respond(429, { 'retry-after': '3' }), respond(200)]);
    const paced = pacedFetch({ pacer, policy, fetch: base, clock, random: () => 0 });
    expect((await paced('https://api.example/x')).status).toBe(200);
    expect(clock.time()).toBe(3_000);
    // Another caller after the 429 waits too, until the pause is over.
    expect(pacer.delayFor(1, 1_000)).toBe(2_000);
  });

  it('returns the last response when attempts run out, so the SDK reports the API error', async () => {
    const clock = fakeClock();
    const pacer = new Pacer([{ requests: 100, windowMs: 1_000 }], clock);
    const base = scripted(Array.from({ length: 3 }, () => respond(503)));
    const paced = pacedFetch({ pacer, policy: { ...policy, maxAttempts: 3 }, fetch: base, clock, random: () => 0 });
    expect((await paced('https://api.example/x')).status).toBe(503);
    expect(base.calls).toBe(3);
  });

  it('does not wait out a Retry-After longer than the policy allows', async () => {
    const clock = fakeClock();
    const pacer = new Pacer([{ requests: 100, windowMs: 1_000 }], clock);
    const base = scripted([respond(429, { 'retry-after': '3600' })]);
    const paced = pacedFetch({ pacer, policy, fetch: base, clock });
    expect((await paced('https://api.example/x')).status).toBe(429);
    expect(base.calls).toBe(1);
    // Nothing was waited out, and the pacer is not left paused for the hour either.
    expect(clock.sleeps).toEqual([]);
    expect(clock.time()).toBe(0);
    expect(pacer.delayFor(1)).toBe(0);
  });

  it('does not retry 4xx answers, nor a 5xx on a POST', async () => {
    const clock = fakeClock();
    const pacer = new Pacer([{ requests: 100, windowMs: 1_000 }], clock);
    const base = scripted([respond(404), respond(500)]);
    const paced = pacedFetch({ pacer, policy, fetch: base, clock });
    expect((await paced('https://api.example/x')).status).toBe(404);
    expect((await paced('https://api.example/x', { method: 'POST' })).status).toBe(500);
    expect(base.calls).toBe(2);
  });

  it('sends every attempt through the pacer', async () => {
    const clock = fakeClock();
    const pacer = new Pacer([{ requests: 2, windowMs: 1_000 }], clock);
    const base = scripted([respond(500), respond(500), respond(200)]);
    const paced = pacedFetch({ pacer, policy, fetch: base, clock, random: () => 0 });
    await paced('https://api.example/x');
    expect(pacer.stats.granted).toBe(3);
    expect(clock.time()).toBeGreaterThanOrEqual(1_000);
  });
});
