import { describe, expect, test } from 'vitest';
import type { EdgeStatus } from '../../src/local/lifecycle/detach.js';
import type { EdgeInfo } from '../../src/local/lifecycle/edge-file.js';
import type { DemoResult } from '../../src/ops/demo.js';
import type { AddResult } from '../../src/ops/project/add.js';
import type { ClientListing } from '../../src/ops/project/list.js';
import {
  addJson,
  demoJson,
  deployJson,
  failureJson,
  initJson,
  listJson,
  localEdgeJson,
  localEnvJson,
  localStatusJson,
  localStopJson,
  removedWorkerJson,
  removeJson,
  restoreJson,
  SCHEMA_VERSION,
  upgradeConfigJson,
} from '../../src/ui/json/index.js';
import { printed, SECRET, withExtra } from '../helpers/json-contract.js';

/** The documents of the project commands, of `local` and `demo`, and the failure document. */

describe('project commands --json', () => {
  const added: AddResult = withExtra({
    client: 'acme',
    default: false,
    worker: 'acme-mcp',
    dataset: 'acme_metrics',
    configAdded: [],
    secretsFile: '.secrets.acme',
    sealedFile: '.secrets.acme.age',
    sources: { API_KEY: 'generated' as const, UPSTREAM_TOKEN: 'env' as const },
    missing: [],
    keptSection: false,
    sectionLacks: [],
    vars: { UPSTREAM_URL: 'missing' as const },
    varsNotSet: ['UPSTREAM_URL'],
    workerExists: false,
    workerUnknown: null,
    replacedLiveKey: false,
    resumed: false,
    backup: undefined,
  });

  test('add: where each value came from, never the value; with --deploy the deploy document inside', () => {
    const expected = {
      schemaVersion: SCHEMA_VERSION,
      client: 'acme',
      default: false,
      worker: 'acme-mcp',
      dataset: 'acme_metrics',
      configAdded: [],
      secretsFile: '.secrets.acme',
      sealedFile: '.secrets.acme.age',
      sources: { API_KEY: 'generated', UPSTREAM_TOKEN: 'env' },
      missing: [],
      keptSection: false,
      sectionLacks: [],
      vars: { UPSTREAM_URL: 'missing' },
      varsNotSet: ['UPSTREAM_URL'],
      workerExists: false,
      workerUnknown: null,
      replacedLiveKey: false,
      resumed: false,
    };
    expect(printed(addJson(added))).toEqual(expected);
    expect(printed(addJson(added, deployJson([], true)))).toEqual({
      ...expected,
      deploy: { schemaVersion: SCHEMA_VERSION, ok: true, clients: [] },
    });
  });

  test('init, remove, restore and upgrade-config', () => {
    const init = withExtra({
      dir: '/p',
      name: 'p',
      adopted: true,
      created: ['.gitignore'],
      deps: 'link' as const,
      clients: ['acme'],
      withoutSecrets: ['acme'],
    });
    const topLevel = withExtra({ name: 'p', client: false, canBeClient: true });
    expect(printed(initJson({ ...init, topLevel }))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      dir: '/p',
      name: 'p',
      adopted: true,
      created: ['.gitignore'],
      deps: 'link',
      clients: ['acme'],
      topLevel: { name: 'p', client: false, canBeClient: true },
      withoutSecrets: ['acme'],
    });
    const removed = withExtra({
      client: 'acme',
      worker: 'acme-mcp',
      secretsKeptAt: '.mcp-fleet/removed/acme.1.secrets',
      sealedKeptAt: undefined,
      recordKeptAt: '.mcp-fleet/removed/acme.1.json',
      secretsLinkedTo: undefined,
      configChanged: true,
    });
    expect(printed(removeJson(removed, withExtra({ worker: 'acme-mcp', outcome: 'deleted' as const }), false))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      client: 'acme',
      alreadyRemoved: false,
      secretsKeptAt: '.mcp-fleet/removed/acme.1.secrets',
      recordKeptAt: '.mcp-fleet/removed/acme.1.json',
      configChanged: true,
      workerKept: false,
      worker: { worker: 'acme-mcp', outcome: 'deleted' },
    });
    expect(printed(removeJson(removed, undefined, true))).toMatchObject({ workerKept: true, alreadyRemoved: false });
    expect(printed(removedWorkerJson('acme', withExtra({ worker: 'acme-mcp', outcome: 'absent' as const })))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      client: 'acme',
      alreadyRemoved: true,
      configChanged: false,
      workerKept: false,
      worker: { worker: 'acme-mcp', outcome: 'absent' },
    });
    const restored = withExtra({
      client: 'acme',
      worker: 'acme-mcp',
      section: 'exact' as const,
      secretsFile: '.secrets.acme',
      sealedFile: '.secrets.acme.age',
      removal: '2026-11-21T21-45-17-123Z',
    });
    expect(printed(restoreJson(restored))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      client: 'acme',
      worker: 'acme-mcp',
      section: 'exact',
      secretsFile: '.secrets.acme',
      sealedFile: '.secrets.acme.age',
      removal: '2026-11-21T21-45-17-123Z',
    });
    const upgrade = withExtra({ changed: true, clients: [withExtra({ client: 'acme', section: 'env.acme', added: ['vars.CLIENT_ID'] })] });
    expect(printed(upgradeConfigJson(upgrade, false))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      ok: false,
      changed: true,
      clients: [{ client: 'acme', section: 'env.acme', added: ['vars.CLIENT_ID'] }],
    });
  });

  test('list: an array, each entry with the schema version', () => {
    const listing: ClientListing = withExtra({
      client: 'acme',
      env: 'acme',
      worker: 'acme-mcp',
      dataset: null,
      url: null,
      auth: ['key'],
      secrets: withExtra({ file: 'invalid' as const, missing: [], empty: [], error: 'line 2: expected KEY=VALUE' }),
    });
    expect(printed(listJson([listing]))).toEqual([
      {
        schemaVersion: SCHEMA_VERSION,
        client: 'acme',
        env: 'acme',
        worker: 'acme-mcp',
        dataset: null,
        url: null,
        auth: ['key'],
        secrets: { file: 'invalid', missing: [], empty: [], error: 'line 2: expected KEY=VALUE' },
      },
    ]);
  });
});

describe('local --json', () => {
  const info: EdgeInfo = {
    apiBaseUrl: 'http://127.0.0.1:8787/client/v4',
    accountId: 'local-account',
    token: SECRET,
    pid: 4242,
    port: 8787,
    workerUrlTemplate: 'http://{name}.localhost:8787',
    adminUrl: 'http://127.0.0.1:8787/__admin',
    startedAt: '2026-11-21T12:00:00.000Z',
  };
  const fields = {
    apiBaseUrl: 'http://127.0.0.1:8787/client/v4',
    accountId: 'local-account',
    pid: 4242,
    port: 8787,
    workerUrlTemplate: 'http://{name}.localhost:8787',
    adminUrl: 'http://127.0.0.1:8787/__admin',
    startedAt: '2026-11-21T12:00:00.000Z',
  };
  const node = { nodeImport: '/x/resolver.js', nodeOptions: '--import /x/resolver.js' };

  test('start and status leave the edge token out', () => {
    expect(printed(localEdgeJson(withExtra(info)))).toEqual({ schemaVersion: SCHEMA_VERSION, ...fields });
    const worker = withExtra({
      name: 'acme',
      url: 'http://acme.localhost:8787',
      running: true,
      versionId: 'v1',
      modifiedOn: '2026-11-21T12:00:00.000Z',
      vars: ['CLIENT_ID'],
      secrets: ['API_KEY'],
      analytics: [withExtra({ binding: 'ANALYTICS', dataset: 'acme_metrics' })],
    });
    const running: EdgeStatus = { running: true, stale: false, info, workers: [worker] };
    expect(printed(localStatusJson(running, node))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      running: true,
      stale: false,
      ...fields,
      workers: [
        {
          name: 'acme',
          url: 'http://acme.localhost:8787',
          running: true,
          versionId: 'v1',
          modifiedOn: '2026-11-21T12:00:00.000Z',
          vars: ['CLIENT_ID'],
          secrets: ['API_KEY'],
          analytics: [{ binding: 'ANALYTICS', dataset: 'acme_metrics' }],
        },
      ],
      ...node,
    });
    expect(printed(localStatusJson({ running: false, stale: true, info }, node))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      running: false,
      stale: true,
      workers: [],
    });
    expect(printed(localStopJson({ kind: 'stopped', pid: 4242 }))).toEqual({ schemaVersion: SCHEMA_VERSION, stopped: true, pid: 4242 });
    expect(printed(localStopJson({ kind: 'not-running', removedStale: false, orphansStopped: 0 }))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      stopped: false,
      running: false,
    });
  });

  test('env: the exported variables, the token among them (what the command is for)', () => {
    const env = {
      CLOUDFLARE_API_BASE_URL: info.apiBaseUrl,
      CLOUDFLARE_BASE_URL: info.apiBaseUrl,
      CLOUDFLARE_API_TOKEN: 'edge-token',
      CLOUDFLARE_ACCOUNT_ID: info.accountId,
      WRANGLER_SEND_METRICS: 'false' as const,
      WRANGLER_SEND_ERROR_REPORTS: 'false' as const,
    };
    expect(JSON.parse(JSON.stringify(localEnvJson(withExtra(env), withExtra(info), node)))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      ...env,
      workerUrlTemplate: info.workerUrlTemplate,
      ...node,
    });
  });
});

describe('demo and failures --json', () => {
  test('demo: rows of checks and timings', () => {
    const demo: DemoResult = withExtra({
      ok: false,
      dir: '/tmp/demo',
      failedStep: 'rotate' as const,
      error: 'rotation not proven',
      rows: [
        withExtra({
          client: 'acme',
          url: 'http://acme.localhost:8787',
          checks: [withExtra({ name: 'auth', ok: true, ms: 3 })],
          deployMs: 900,
          verifyMs: 40,
          rotated: false,
        }),
      ],
      stepMs: { init: 10, deploy: 900 },
      totalMs: 2000,
    });
    expect(printed(demoJson(demo))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      ok: false,
      dir: '/tmp/demo',
      failedStep: 'rotate',
      error: 'rotation not proven',
      rows: [
        {
          client: 'acme',
          url: 'http://acme.localhost:8787',
          checks: [{ name: 'auth', ok: true, ms: 3 }],
          deployMs: 900,
          verifyMs: 40,
          rotated: false,
        },
      ],
      stepMs: { init: 10, deploy: 900 },
      totalMs: 2000,
    });
  });

  test('the failure document: message, hint (null when none) and exit code', () => {
    expect(printed(failureJson('no wrangler.jsonc in /p', undefined, 2))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      ok: false,
      error: { message: 'no wrangler.jsonc in /p', hint: null, exitCode: 2 },
    });
  });
});
