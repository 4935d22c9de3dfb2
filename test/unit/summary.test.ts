import { describe, expect, it } from 'vitest';
import type { DeployPlanJson, StatusJson } from '../../src/ui/json/index.js';
import { SCHEMA_VERSION } from '../../src/ui/json/index.js';
import { renderSummary } from '../../src/ui/summary.js';
import { SECRET, withExtra } from '../helpers/json-contract.js';

/** The step summary of `--summary`: a heading, a Markdown table per command, a summary line; made from the --json document only. */

const plan: DeployPlanJson = {
  schemaVersion: SCHEMA_VERSION,
  ok: true,
  plan: {
    builds: 1,
    waves: [1, 2],
    apiCalls: 14,
    budget: { requests: 1200, windowSeconds: 300 },
    budgetWaitSeconds: 0,
    estimatedSeconds: 40,
  },
  clients: [
    {
      client: 'acme',
      worker: 'acme',
      newWorker: true,
      method: 'api',
      wranglerReason: undefined,
      buildGroup: 1,
      wave: 1,
      apiCalls: 7,
      namesVersion: true,
      skip: undefined,
    },
  ],
};

describe('--summary rendering', () => {
  it('deploy --plan: one row per client and the plan line', () => {
    const text = renderSummary({ title: 'deploy --all --plan', command: 'deploy', document: plan, exitCode: 0 });
    expect(text).toBe(
      [
        '### mcp-fleet deploy --all --plan',
        '',
        '| Client | Worker | Wave | Method | New worker | API calls | Skipped because |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        '| acme | acme | 1 | api | yes | 7 | — |',
        '',
        '**✅ succeeded** — plan only, nothing changed: 1 client(s) in 2 wave(s) (1, 2), 1 build(s), 14 API calls, about 40 s',
        '',
        '',
      ].join('\n'),
    );
  });

  it('a message with a pipe or a newline stays in its cell; fields no summary names (a secret) never appear', () => {
    const status = withExtra({
      schemaVersion: SCHEMA_VERSION,
      ok: false,
      bundles: [],
      capacity: null,
      notInConfig: null,
      clients: [
        withExtra({
          client: 'acme',
          worker: 'acme',
          inSync: false,
          versionId: null,
          deployedAt: null,
          code: null,
          drift: ['secrets | names\nsecond line'],
          error: undefined,
        }),
      ],
    } as unknown as StatusJson);
    const text = renderSummary({ title: 'status --all', command: 'status', document: status, exitCode: 1 });
    expect(text).toContain('| acme | acme | ❌ | — | — | — | secrets \\| names second line |');
    expect(text).toContain('**❌ exit 1** — 1 client(s): 0 in sync, 1 drifted or unreadable');
    expect(text).not.toContain(SECRET);
  });

  it('a command without a table of its own gets the generic one; a failure before any client is one line', () => {
    const generic = renderSummary({
      title: 'rollback --all',
      command: 'rollback',
      document: {
        schemaVersion: 1,
        ok: false,
        clients: [
          { client: 'a', ok: true },
          { client: 'b', ok: false, error: { message: 'no earlier version' } },
        ],
      },
      exitCode: 1,
    });
    expect(generic).toContain('| b | ❌ | no earlier version |');
    expect(generic).toContain('2 clients: 1 ok, 1 failed');
    const failed = renderSummary({
      title: 'status nosuch',
      command: 'status',
      document: undefined,
      exitCode: 2,
      failure: { message: 'no client named nosuch', hint: 'clients: acme' },
    });
    expect(failed).toBe('### mcp-fleet status nosuch\n\n**❌ exit 2**: no client named nosuch — clients: acme\n\n');
  });
});
