import { describe, expect, it } from 'vitest';
import { clientNameProblem, datasetName } from '../../src/fleet/names.js';

describe('client names', () => {
  it.each(['acme', 'a', 'acme-corp', 'a1-b2-c3', 'x'.repeat(54)])('accepts %s', (name) => {
    expect(clientNameProblem(name)).toBeUndefined();
  });
  it.each(['', 'Acme', '1acme', '-acme', 'acme-', 'ac--me', 'ac_me', 'ac.me', 'acme corp', 'x'.repeat(55)])('rejects %j', (name) => {
    expect(clientNameProblem(name)).toBeDefined();
  });
  it('maps dashes to underscores for the dataset', () => {
    expect(datasetName('acme-corp-eu')).toBe('acme_corp_eu_metrics');
  });
});
