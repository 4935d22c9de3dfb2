import { describe, expect, it } from 'vitest';
import { callerHas, grants, requiredPermission } from '../../src/local/control-plane/token-routes.js';
import {
  doctorFailed,
  exposedMode,
  fail,
  neededPermissions,
  ok,
  permissionChecks,
  versionAtLeast,
  warn,
} from '../../src/ops/doctor/checks.js';
import { doctorJson, SCHEMA_VERSION } from '../../src/ui/json/index.js';
import { printed, withExtra } from '../helpers/json-contract.js';

describe('doctor: Node version', () => {
  it('compares dotted versions numerically, against an engines range', () => {
    expect(versionAtLeast('22.12.0', '>=22.12')).toBe(true);
    expect(versionAtLeast('24.1.0', '>=22.12')).toBe(true);
    expect(versionAtLeast('22.9.0', '>=22.12')).toBe(false);
    expect(versionAtLeast('20.18.1', '22.12')).toBe(false);
    expect(versionAtLeast('v22.12.1', '22.12')).toBe(true);
  });
});

describe('doctor: the permissions a project needs', () => {
  it('always Workers Scripts Write; KV Write only with oauth or jwt; analytics and tail as warnings', () => {
    const plain = neededPermissions({ identity: false, metrics: true });
    expect(plain.filter((p) => p.required).map((p) => p.group)).toEqual(['Workers Scripts Write']);
    const identity = neededPermissions({ identity: true, metrics: true });
    expect(identity.filter((p) => p.required).map((p) => p.group)).toEqual(['Workers Scripts Write', 'Workers KV Storage Write']);
    expect(identity.filter((p) => !p.required).map((p) => p.group)).toEqual(['Account Analytics Read', 'Workers Tail Read']);
  });

  it('a missing required group fails with the dashboard wording; a missing optional one warns; Write covers Read', () => {
    const checks = permissionChecks(
      ['Workers Scripts Read', 'Workers KV Storage Write'],
      neededPermissions({ identity: true, metrics: true }),
    );
    const byGroup = Object.fromEntries(checks.map((check) => [check.id, check]));
    expect(byGroup['token.permission.workers-scripts-write']?.status).toBe('fail');
    expect(byGroup['token.permission.workers-scripts-write']?.fix).toContain('"Account → Workers Scripts → Edit"');
    expect(byGroup['token.permission.workers-kv-storage-write']?.status).toBe('ok');
    expect(byGroup['token.permission.account-analytics-read']?.status).toBe('warn');
    expect(doctorFailed(checks)).toBe(true);
    expect(doctorFailed([warn('x', 'x', 'x', 'x')])).toBe(false);
  });
});

describe('doctor: file modes', () => {
  it('any group or other bit exposes a secrets file', () => {
    expect(exposedMode(0o600)).toBe(false);
    expect(exposedMode(0o400)).toBe(false);
    expect(exposedMode(0o640)).toBe(true);
    expect(exposedMode(0o604)).toBe(true);
    expect(exposedMode(0o660)).toBe(true);
  });
});

describe('local edge: the permission group each API route asks for', () => {
  it('as Cloudflare names them: scripts, KV, analytics, tails, tokens; verify and accounts need none', () => {
    expect(requiredPermission('PUT', '/accounts/a/workers/scripts/acme')).toBe('Workers Scripts Write');
    expect(requiredPermission('GET', '/accounts/a/workers/scripts')).toBe('Workers Scripts Read');
    expect(requiredPermission('PATCH', '/accounts/a/workers/scripts/acme/secrets-bulk')).toBe('Workers Scripts Write');
    expect(requiredPermission('POST', '/accounts/a/workers/scripts/acme/tails')).toBe('Workers Tail Read');
    expect(requiredPermission('PUT', '/accounts/a/storage/kv/namespaces/n/values/k')).toBe('Workers KV Storage Write');
    expect(requiredPermission('POST', '/accounts/a/analytics_engine/sql')).toBe('Account Analytics Read');
    expect(requiredPermission('GET', '/user/tokens/abc')).toBe('API Tokens Read');
    expect(requiredPermission('POST', '/user/tokens')).toBe('API Tokens Write');
    expect(requiredPermission('GET', '/user/tokens/verify')).toBeUndefined();
    expect(requiredPermission('GET', '/accounts')).toBeUndefined();
  });

  it("a token's Write covers the Read of the same group, not another group; the edge's own token has every group", () => {
    expect(grants(['Workers Scripts Write'], 'Workers Scripts Read')).toBe(true);
    expect(grants(['Workers Scripts Read'], 'Workers Scripts Write')).toBe(false);
    expect(grants(['Workers Scripts Write'], 'Workers Tail Read')).toBe(false);
    expect(callerHas({ kind: 'root' }, 'Workers KV Storage Write')).toBe(true);
  });
});

describe('doctor --json', () => {
  it('names each field (nothing spread from the report): a field a check grows tomorrow is not printed', () => {
    const report = withExtra({
      project: '/p',
      ok: false,
      checks: [
        withExtra(fail('secrets.modes', '.secrets.acme mode', '.secrets.acme is 0644', 'chmod 600 .secrets.acme')),
        withExtra(ok('node', 'Node.js', 'Node 24')),
      ],
    });
    expect(printed(doctorJson(report))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      ok: false,
      project: '/p',
      summary: { ok: 1, warn: 0, fail: 1 },
      checks: [
        {
          id: 'secrets.modes',
          title: '.secrets.acme mode',
          status: 'fail',
          detail: '.secrets.acme is 0644',
          fix: 'chmod 600 .secrets.acme',
        },
        { id: 'node', title: 'Node.js', status: 'ok', detail: 'Node 24', fix: null },
      ],
    });
    expect(printed(doctorJson({ project: undefined, ok: true, checks: [] }))).toMatchObject({ project: null, ok: true });
  });
});
