import { describe, expect, test } from 'vitest';
import type { RollbackResult } from '../../src/ops/deploy/rollback.js';
import type { DeployPlan } from '../../src/ops/deploy/rollout/plan-deploy.js';
import type { DeployResult } from '../../src/ops/deploy/rollout/results.js';
import { deployJson, deployPlanJson, rollbackJson, SCHEMA_VERSION } from '../../src/ui/json/index.js';
import { printed, withExtra } from '../helpers/json-contract.js';

/** The documents of deploy, deploy --plan and rollback: the fields they declare, and nothing an op adds to its results. */

const deployed: DeployResult = withExtra({
  client: 'acme',
  worker: 'acme-mcp',
  ok: true,
  stage: 'done',
  outcome: 'deployed',
  why: undefined,
  url: 'https://acme-mcp.example.workers.dev',
  versionId: 'v-new',
  deployedVersionId: 'v-new',
  bundleHash: 'f00d',
  bundleReused: false,
  plan: withExtra({ newWorker: false, method: 'api', buildGroup: 1, wave: 1, apiCalls: 3, namesVersion: true }),
  logPath: undefined,
  durationMs: 1200,
  output: undefined,
  verify: withExtra({ ok: true, detail: 'v-new answers' }),
});

const broken: DeployResult = {
  ...deployed,
  client: 'beta',
  worker: 'beta-mcp',
  ok: false,
  stage: 'build',
  outcome: 'not-deployed',
  why: 'build failed: no entry',
  url: undefined,
  versionId: 'v-old',
  deployedVersionId: undefined,
  bundleHash: undefined,
  bundleReused: undefined,
  plan: { newWorker: false, method: 'wrangler', wranglerReason: 'a service binding', apiCalls: 2, namesVersion: false },
  logPath: '/tmp/deploy.log',
  durationMs: undefined,
  output: ['✘ [ERROR] Could not resolve "./missing.js"'],
  verify: undefined,
  error: withExtra({ message: "building beta's bundle failed", hint: 'Full output: /tmp/deploy.log', exitCode: 1 as const }),
};

describe('deploy --json', () => {
  test('names every client with its outcome, versions, plan and check; undefined fields are left out', () => {
    expect(printed(deployJson([deployed, broken], false))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      ok: false,
      clients: [
        {
          client: 'acme',
          worker: 'acme-mcp',
          ok: true,
          stage: 'done',
          outcome: 'deployed',
          url: 'https://acme-mcp.example.workers.dev',
          versionId: 'v-new',
          deployedVersionId: 'v-new',
          bundleHash: 'f00d',
          bundleReused: false,
          plan: { newWorker: false, method: 'api', buildGroup: 1, wave: 1, apiCalls: 3, namesVersion: true },
          durationMs: 1200,
          verify: { ok: true, detail: 'v-new answers' },
        },
        {
          client: 'beta',
          worker: 'beta-mcp',
          ok: false,
          stage: 'build',
          outcome: 'not-deployed',
          why: 'build failed: no entry',
          versionId: 'v-old',
          plan: { newWorker: false, method: 'wrangler', wranglerReason: 'a service binding', apiCalls: 2, namesVersion: false },
          logPath: '/tmp/deploy.log',
          output: ['✘ [ERROR] Could not resolve "./missing.js"'],
          error: { message: "building beta's bundle failed", hint: 'Full output: /tmp/deploy.log', exitCode: 1 },
        },
      ],
    });
  });

  test('--plan: the estimate and each client with its plan', () => {
    const plan: DeployPlan = withExtra({
      estimate: withExtra({
        builds: 1,
        waves: [1, 2],
        apiCalls: 9,
        budget: withExtra({ requests: 1200, windowSeconds: 300 }),
        budgetWaitSeconds: 0,
        estimatedSeconds: 14,
      }),
      clients: [
        withExtra({ client: 'acme', worker: 'acme-mcp', newWorker: true, method: 'api' as const, apiCalls: 4, namesVersion: true }),
      ],
    });
    expect(printed(deployPlanJson(plan))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      ok: true,
      plan: {
        builds: 1,
        waves: [1, 2],
        apiCalls: 9,
        budget: { requests: 1200, windowSeconds: 300 },
        budgetWaitSeconds: 0,
        estimatedSeconds: 14,
      },
      clients: [{ client: 'acme', worker: 'acme-mcp', newWorker: true, method: 'api', apiCalls: 4, namesVersion: true }],
    });
  });
});

describe('rollback --json', () => {
  test('says how each client went back and what runs now', () => {
    const back: RollbackResult = withExtra({
      client: 'acme',
      worker: 'acme-mcp',
      ok: true,
      how: 'reuploaded',
      fromVersionId: 'v2',
      targetVersionId: 'v1',
      versionId: 'v3',
      verify: withExtra({ ok: true, detail: 'v3 answers' }),
    });
    const failed: RollbackResult = {
      client: 'beta',
      worker: 'beta-mcp',
      ok: false,
      how: undefined,
      fromVersionId: undefined,
      targetVersionId: undefined,
      versionId: undefined,
      verify: undefined,
      error: { message: 'no earlier version', exitCode: 1 },
    };
    expect(printed(rollbackJson([back, failed], false))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      ok: false,
      clients: [
        {
          client: 'acme',
          worker: 'acme-mcp',
          ok: true,
          how: 'reuploaded',
          fromVersionId: 'v2',
          targetVersionId: 'v1',
          versionId: 'v3',
          verify: { ok: true, detail: 'v3 answers' },
        },
        { client: 'beta', worker: 'beta-mcp', ok: false, error: { message: 'no earlier version', exitCode: 1 } },
      ],
    });
  });
});
