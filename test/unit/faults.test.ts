import { describe, expect, test } from 'vitest';
import { Faults } from '../../src/local/admin/faults.js';

/** Injected 5xx are scripted, not rolled: the same requests meet the same failures, every run, in any order. */

const PUSH = (client: string) => `/accounts/a/workers/scripts/${client}/secrets`;

/** Each request's answers (true = injected error), in the order that request was made. */
function script(faults: Faults, requests: readonly string[]): Map<string, boolean[]> {
  const answers = new Map<string, boolean[]>();
  for (const request of requests) {
    const list = answers.get(request) ?? [];
    list.push(faults.decide('PATCH', request).kind === 'error');
    answers.set(request, list);
  }
  return answers;
}

describe('injected errors at a rate', () => {
  test("each request's answers are the same however the fleet's requests interleave", () => {
    const clients = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
    const inOrder = clients.flatMap((client) => Array.from({ length: 20 }, () => PUSH(client)));
    const interleaved = Array.from({ length: 20 }, () => clients.map(PUSH)).flat();
    const first = script(new Faults({ errorRate: 0.3 }), inOrder);
    const second = script(new Faults({ errorRate: 0.3 }), interleaved.reverse());
    for (const client of clients) expect(second.get(PUSH(client)), client).toEqual(first.get(PUSH(client)));
    // And the rate is the rate: 120 answers, about 30 % of them errors.
    const errors = [...first.values()].flat().filter(Boolean).length;
    expect(errors).toBeGreaterThan(20);
    expect(errors).toBeLessThan(52);
  });

  test('over many requests the share of errors is the rate', () => {
    const faults = new Faults({ errorRate: 0.1 });
    let errors = 0;
    for (let i = 0; i < 10_000; i++) if (faults.decide('GET', `/accounts/a/workers/scripts/w${i}`).kind === 'error') errors++;
    expect(errors).toBeGreaterThan(900);
    expect(errors).toBeLessThan(1100);
  });

  test('setting the rate again starts its script from the top; another seed is another script', () => {
    const requests = Array.from({ length: 40 }, () => PUSH('acme'));
    const faults = new Faults({ errorRate: 0.5 });
    const first = script(faults, requests);
    faults.update({ errorRate: 0.5 });
    expect(script(faults, requests)).toEqual(first);
    faults.update({ seed: 7 });
    expect(script(faults, requests)).not.toEqual(first);
    expect(faults.current.seed).toBe(7);
  });

  test('the ids an edge makes up (account, versions) do not change the script: every edge fails the same requests', () => {
    const on = (account: string, version: string) => [
      ...script(new Faults({ errorRate: 0.5 }), Array(30).fill(`/accounts/${account}/workers/scripts/acme/versions/${version}`)).values(),
    ];
    expect(on('d7ecc2b9044655f0014b0e8054211305', '6f1d0c3e-8a2b-4c5d-9e7f-0a1b2c3d4e5f')).toEqual(
      on('0123456789abcdef0123456789abcdef', 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee'),
    );
  });

  test('rate 0 never fails and rate 1 always does', () => {
    expect(
      script(new Faults({ errorRate: 0 }), Array(50).fill(PUSH('a')))
        .get(PUSH('a'))
        ?.some(Boolean),
    ).toBe(false);
    expect(
      script(new Faults({ errorRate: 1 }), Array(50).fill(PUSH('a')))
        .get(PUSH('a'))
        ?.every(Boolean),
    ).toBe(true);
  });
});
