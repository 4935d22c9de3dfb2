import { describe, expect, test } from 'vitest';
import type { PushResult } from '../../src/ops/secrets/push.js';
import type { RetireResult } from '../../src/ops/secrets/retire.js';
import type { RotateResult } from '../../src/ops/secrets/rotate.js';
import type { RotationProof } from '../../src/ops/secrets/rotation/proof.js';
import type { StatusResult } from '../../src/ops/secrets/status.js';
import { pushJson, retireJson, rotateJson, SCHEMA_VERSION, secretsStatusJson } from '../../src/ui/json/index.js';
import { printed, withExtra } from '../helpers/json-contract.js';

/** The documents of `secrets push|status|rotate|retire`: names and proofs, never a value, whatever a result carries besides. */

const proof: RotationProof = withExtra({
  newAccepted: true,
  oldRefused: true,
  grace: false,
  staleChecked: 2,
  staleRefused: true,
  ok: true,
  detail: 'new key accepted, previous refused',
});
const proofJson = {
  newAccepted: true,
  oldRefused: true,
  grace: false,
  staleChecked: 2,
  staleRefused: true,
  ok: true,
  detail: 'new key accepted, previous refused',
};

describe('secrets --json', () => {
  test('push: the names sent and skipped, warnings, failures', () => {
    const pushed: PushResult = withExtra({
      client: 'acme',
      worker: 'acme-mcp',
      ok: true,
      keys: ['API_KEY', 'UPSTREAM_TOKEN'],
      skippedEmpty: ['OPTIONAL'],
      warnings: ['made .secrets.acme private (0600)'],
    });
    const refused: PushResult = {
      client: 'beta',
      worker: 'beta-mcp',
      ok: false,
      keys: [],
      skippedEmpty: [],
      warnings: [],
      error: withExtra({ message: '.secrets.beta: line 2 is not KEY=VALUE', exitCode: 2 as const }),
    };
    expect(printed(pushJson([pushed, refused], false))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      ok: false,
      clients: [
        {
          client: 'acme',
          worker: 'acme-mcp',
          ok: true,
          keys: ['API_KEY', 'UPSTREAM_TOKEN'],
          skippedEmpty: ['OPTIONAL'],
          warnings: ['made .secrets.acme private (0600)'],
        },
        {
          client: 'beta',
          worker: 'beta-mcp',
          ok: false,
          keys: [],
          skippedEmpty: [],
          warnings: [],
          error: { message: '.secrets.beta: line 2 is not KEY=VALUE', exitCode: 2 },
        },
      ],
    });
  });

  test('status: names on each side and what differs', () => {
    const status: StatusResult = withExtra({
      client: 'acme',
      worker: 'acme-mcp',
      deployed: true,
      local: ['API_KEY', 'UPSTREAM_TOKEN'],
      remote: ['API_KEY'],
      missingRemotely: ['UPSTREAM_TOKEN'],
      extraRemotely: [],
      missingLocally: [],
      pendingRotation: 'API_KEY',
      sealed: 'differs',
      inSync: false,
    });
    expect(printed(secretsStatusJson([status], false))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      ok: false,
      clients: [
        {
          client: 'acme',
          worker: 'acme-mcp',
          deployed: true,
          local: ['API_KEY', 'UPSTREAM_TOKEN'],
          remote: ['API_KEY'],
          missingRemotely: ['UPSTREAM_TOKEN'],
          extraRemotely: [],
          missingLocally: [],
          pendingRotation: 'API_KEY',
          sealed: 'differs',
          inSync: false,
        },
      ],
    });
  });

  test('rotate: how far each client got and what was proven, with the keys left out', () => {
    const rotated: RotateResult = withExtra({
      client: 'acme',
      worker: 'acme-mcp',
      key: 'API_KEY',
      ok: true,
      resumed: false,
      reached: 'proven',
      backup: '.mcp-fleet/backups/acme/1.secrets',
      proof,
      warnings: [],
    });
    expect(printed(rotateJson([rotated], true))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      ok: true,
      clients: [
        {
          client: 'acme',
          worker: 'acme-mcp',
          key: 'API_KEY',
          ok: true,
          resumed: false,
          reached: 'proven',
          backup: '.mcp-fleet/backups/acme/1.secrets',
          proof: proofJson,
          warnings: [],
        },
      ],
    });
  });

  test('retire: whether a previous key was retired, and the proof', () => {
    const retired: RetireResult = withExtra({ client: 'acme', worker: 'acme-mcp', ok: true, retired: true, proof, warnings: [] });
    expect(printed(retireJson([retired], true))).toEqual({
      schemaVersion: SCHEMA_VERSION,
      ok: true,
      clients: [{ client: 'acme', worker: 'acme-mcp', ok: true, retired: true, proof: proofJson, warnings: [] }],
    });
  });
});
