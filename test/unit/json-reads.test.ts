import { describe, expect, test } from 'vitest';
import type { ConnectResult } from '../../src/ops/connect/connect.js';
import type { TailEvent } from '../../src/ops/logs/events.js';
import type { ClientLogs } from '../../src/ops/logs/logs.js';
import type { ClientMetrics } from '../../src/ops/metrics/metrics.js';
import type { ClientStatus } from '../../src/ops/status/client-status.js';
import type { FleetStatus } from '../../src/ops/status/status.js';
import type { FleetVerification } from '../../src/ops/verify/verification.js';
import { connectJson, logEventJson, logsJson, metricsJson, SCHEMA_VERSION, statusJson, verifyJson } from '../../src/ui/json/index.js';
import { eventJsonLine } from '../../src/ui/logs-format.js';
import { printed, SECRET, withExtra } from '../helpers/json-contract.js';

/** The documents of the read commands (verify, status, connect, metrics, logs): declared fields only. */

describe('verify --json', () => {
  test('every check with its latency; skipped and advisory only when set; MCP details and generations', () => {
    const report: FleetVerification = withExtra({
      ok: true,
      ms: 840,
      protocol: 'both' as const,
      clients: [
        withExtra({
          client: 'acme',
          url: 'https://acme-mcp.example.workers.dev',
          ok: true,
          ms: 800,
          checks: [
            withExtra({ name: 'health' as const, ok: true, ms: 12, detail: 'GET /health answered 200' }),
            { name: 'origin' as const, ok: true, ms: 9, detail: 'no Origin check', advisory: true },
            { name: 'isolation' as const, ok: true, ms: 0, detail: 'one client only', skipped: true },
          ],
          mcp: withExtra({ name: 'acme', version: '1.2.0', protocolVersion: '2026-07-28', tools: ['whoami'] }),
          protocols: [
            withExtra({
              generation: 'modern' as const,
              required: true,
              ok: true,
              revisions: ['2026-07-28'],
              protocolVersion: '2026-07-28',
              ms: 40,
            }),
            { generation: 'legacy' as const, required: true, ok: false, unsupported: true, revisions: [], ms: 30, error: 'answered 404' },
          ],
        }),
      ],
    });
    expect(printed(verifyJson(report))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      ok: true,
      ms: 840,
      protocol: 'both',
      clients: [
        {
          client: 'acme',
          url: 'https://acme-mcp.example.workers.dev',
          ok: true,
          ms: 800,
          checks: [
            { name: 'health', ok: true, ms: 12, detail: 'GET /health answered 200' },
            { name: 'origin', ok: true, ms: 9, detail: 'no Origin check', advisory: true },
            { name: 'isolation', ok: true, ms: 0, detail: 'one client only', skipped: true },
          ],
          mcp: { name: 'acme', version: '1.2.0', protocolVersion: '2026-07-28', tools: ['whoami'] },
          protocols: [
            { generation: 'modern', required: true, ok: true, revisions: ['2026-07-28'], protocolVersion: '2026-07-28', ms: 40 },
            { generation: 'legacy', required: true, ok: false, unsupported: true, revisions: [], ms: 30, error: 'answered 404' },
          ],
        },
      ],
    });
  });
});

describe('status --json', () => {
  const unread: ClientStatus = withExtra({
    client: 'acme',
    worker: 'acme-mcp',
    auth: ['key'],
    deployedAuth: undefined,
    varsDiffer: [],
    exists: undefined,
    versionId: undefined,
    deployedAt: undefined,
    deployedBy: undefined,
    code: undefined,
    codeWhy: undefined,
    deployedTag: undefined,
    localTag: undefined,
    traffic: [withExtra({ versionId: 'v1', percentage: 100, code: 'current' as const, tag: undefined })],
    secrets: withExtra({
      missingRemotely: [],
      extraRemotely: [],
      missingLocally: ['UPSTREAM_TOKEN'],
      pendingRotation: undefined,
      sealed: 'plain-only',
      inSync: false,
    }),
    compatibilityDate: withExtra({ deployed: undefined, config: '2026-11-01', matches: undefined }),
    verify: undefined,
    drift: [],
    inSync: false,
    error: { message: 'the worker list could not be read', exitCode: 1 },
  });

  test('what is not known is null, so every field is there; the run has the build and the capacity', () => {
    const status: FleetStatus = withExtra({
      clients: [unread],
      bundles: [withExtra({ group: 1, clients: ['acme'], ok: false, tag: undefined, cached: false, failure: 'no entry', durationMs: 90 })],
      capacity: undefined,
    });
    expect(printed(statusJson(status, false))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      ok: false,
      clients: [
        {
          client: 'acme',
          auth: ['key'],
          deployedAuth: null,
          varsDiffer: [],
          worker: 'acme-mcp',
          exists: null,
          versionId: null,
          deployedAt: null,
          deployedBy: null,
          code: null,
          codeWhy: null,
          deployedTag: null,
          localTag: null,
          traffic: [{ versionId: 'v1', percentage: 100, code: 'current', tag: null }],
          secrets: {
            missingRemotely: [],
            extraRemotely: [],
            missingLocally: ['UPSTREAM_TOKEN'],
            pendingRotation: null,
            sealed: 'plain-only',
            inSync: false,
          },
          compatibilityDate: { deployed: null, config: '2026-11-01', matches: null },
          verify: null,
          drift: [],
          inSync: false,
          error: { message: 'the worker list could not be read', exitCode: 1 },
        },
      ],
      bundles: [{ group: 1, clients: ['acme'], ok: false, tag: null, cached: false, failure: 'no entry', durationMs: 90 }],
      capacity: null,
      notInConfig: null,
    });
  });

  test('a verified client and a known capacity', () => {
    const verified: ClientStatus = { ...unread, verify: withExtra({ ok: false, failed: ['auth'] }), error: undefined };
    const document = printed(
      statusJson(
        {
          clients: [verified],
          bundles: [],
          capacity: withExtra({ workers: 90, limit: 100, share: 0.9, warning: true }),
          notInConfig: ['legacy-co'],
        },
        false,
      ),
    );
    expect(document).toMatchObject({ capacity: { workers: 90, limit: 100, share: 0.9, warning: true }, notInConfig: ['legacy-co'] });
    expect((document as { clients: unknown[] }).clients[0]).toMatchObject({ verify: { ok: false, failed: ['auth'] } });
    expect((document as { clients: object[] }).clients[0]).not.toHaveProperty('error');
  });
});

describe('connect --json', () => {
  test("each client's URL, variable, file and own configuration; the secrets file's path is not in it", () => {
    const result: ConnectResult = withExtra({
      host: 'json' as const,
      entries: [
        withExtra({
          client: 'acme',
          url: 'https://acme-mcp.example.workers.dev/mcp',
          urlSource: 'target' as const,
          envName: 'MCP_FLEET_ACME_API_KEY',
          secretsPath: '/project/.secrets.acme',
          keyEmbedded: false,
          auth: 'key' as const,
          authWhy: 'the bearer key as a header',
          file: withExtra({ path: 'out/acme/mcp-server.json', mode: 0o600 }),
        }),
        {
          client: 'beta',
          url: null,
          urlSource: null,
          envName: 'MCP_FLEET_BETA_API_KEY',
          secretsPath: '/project/.secrets.beta',
          keyEmbedded: false,
          auth: 'key' as const,
          authWhy: '',
          file: null,
          error: { message: 'no URL for beta', exitCode: 2 },
        },
      ],
      servers: [withExtra({ name: 'acme', url: 'https://acme-mcp.example.workers.dev/mcp', envName: 'MCP_FLEET_ACME_API_KEY' })],
    });
    const document = printed(connectJson(result, false));
    expect(document).toEqual({
      schemaVersion: SCHEMA_VERSION,
      ok: false,
      host: 'json',
      fileName: 'mcp-server.json',
      clients: [
        {
          client: 'acme',
          url: 'https://acme-mcp.example.workers.dev/mcp',
          urlSource: 'target',
          envName: 'MCP_FLEET_ACME_API_KEY',
          keyEmbedded: false,
          auth: 'key',
          authWhy: 'the bearer key as a header',
          file: { path: 'out/acme/mcp-server.json', mode: '0600' },
          config: {
            url: 'https://acme-mcp.example.workers.dev/mcp',
            transport: 'streamable-http',
            headers: { Authorization: `Bearer \${MCP_FLEET_ACME_API_KEY}` },
          },
        },
        {
          client: 'beta',
          url: null,
          urlSource: null,
          envName: 'MCP_FLEET_BETA_API_KEY',
          keyEmbedded: false,
          auth: 'key',
          authWhy: '',
          file: null,
          config: null,
          error: { message: 'no URL for beta', exitCode: 2 },
        },
      ],
    });
    expect(JSON.stringify(document)).not.toContain('.secrets.');
  });
});

describe('metrics --json', () => {
  test('totals, routes and buckets over the window', () => {
    const metrics: ClientMetrics = withExtra({
      client: 'acme',
      dataset: 'acme_metrics',
      since: '1h',
      windowSeconds: 3600,
      requests: 3,
      status2xx: 2,
      status4xx: 1,
      status5xx: 0,
      rateLimited: 1,
      toolErrors: 1,
      routes: [
        withExtra({
          route: '/mcp',
          requests: 3,
          status2xx: 2,
          status4xx: 1,
          status5xx: 0,
          rateLimited: 1,
          toolErrors: 1,
          p50Ms: 12,
          p95Ms: null,
        }),
      ],
      buckets: [0, 3],
      bucketSeconds: 1800,
    });
    expect(printed(metricsJson([metrics], true))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      ok: true,
      clients: [
        {
          client: 'acme',
          dataset: 'acme_metrics',
          since: '1h',
          windowSeconds: 3600,
          requests: 3,
          status2xx: 2,
          status4xx: 1,
          status5xx: 0,
          rateLimited: 1,
          toolErrors: 1,
          routes: [
            { route: '/mcp', requests: 3, status2xx: 2, status4xx: 1, status5xx: 0, rateLimited: 1, toolErrors: 1, p50Ms: 12, p95Ms: null },
          ],
          buckets: [0, 3],
          bucketSeconds: 1800,
        },
      ],
    });
  });
});

describe('logs --json (NDJSON)', () => {
  const event: TailEvent = withExtra({
    client: 'acme',
    worker: 'acme-mcp',
    time: '2026-11-21T12:00:00.000Z',
    outcome: 'ok',
    request: withExtra({ method: 'POST', url: 'https://acme-mcp.example.workers.dev/mcp', status: 200 }),
    logs: [withExtra({ level: 'log', time: undefined, message: 'hello' })],
    exceptions: [withExtra({ name: 'Error', message: 'boom' })],
  });

  test('each event line carries the schema version and the declared fields only, on one line', () => {
    const line = eventJsonLine(event);
    expect(line).not.toContain('\n');
    expect(line).not.toContain(SECRET);
    expect(JSON.parse(line)).toEqual({
      schemaVersion: SCHEMA_VERSION,
      client: 'acme',
      worker: 'acme-mcp',
      time: '2026-11-21T12:00:00.000Z',
      outcome: 'ok',
      logs: [{ level: 'log', message: 'hello' }],
      exceptions: [{ name: 'Error', message: 'boom' }],
      request: { method: 'POST', url: 'https://acme-mcp.example.workers.dev/mcp', status: 200 },
    });
    expect(printed(logEventJson({ ...event, request: undefined, trigger: 'cron */5 * * * *' }))).toMatchObject({
      trigger: 'cron */5 * * * *',
    });
  });

  test('the closing line: what each stream did', () => {
    const logs: ClientLogs = withExtra({ client: 'acme', worker: 'acme-mcp', events: 4, tails: 2, leftOpen: 0, ended: 'stopped' as const });
    expect(printed(logsJson([logs], true))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      ok: true,
      clients: [{ client: 'acme', worker: 'acme-mcp', events: 4, tails: 2, leftOpen: 0, ended: 'stopped' }],
    });
  });
});
