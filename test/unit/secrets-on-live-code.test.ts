import { describe, expect, it } from 'vitest';
import type { VersionWithCode } from '../../src/cloudflare/workers-api.js';
import { bundleHash } from '../../src/cloudflare/wrangler-build.js';
import { bundleTag, codeTagOf } from '../../src/ops/deploy/rollout/bundles.js';
import { uploadWithSecrets } from '../../src/ops/secrets/on-live-code.js';

/** Secrets changed on a rolled-back worker: the live version's code again, its other secrets inherited. */

const live: VersionWithCode = {
  id: 'v-older',
  number: 3,
  annotations: { 'workers/tag': 'bundle-0123456789abcdef', 'workers/message': 'deploy' },
  bindings: [
    { name: 'CLIENT_ID', type: 'plain_text', text: 'acme' },
    { name: 'API_KEY', type: 'secret_text' },
    { name: 'API_KEY_PREVIOUS', type: 'secret_text' },
    { name: 'UPSTREAM_TOKEN', type: 'secret_text' },
    { name: 'ANALYTICS', type: 'analytics_engine', dataset: 'acme_metrics' },
  ],
  compatibility_date: '2026-11-01',
  compatibility_flags: [],
  main_module: 'index.js',
  modules: [
    {
      name: 'index.js',
      content_type: 'application/javascript+module',
      content_base64: Buffer.from('export default {}').toString('base64'),
    },
  ],
};

describe('uploadWithSecrets', () => {
  it('keeps code, vars and datasets, inherits unchanged secrets, sets changed ones and drops deleted ones', () => {
    const upload = uploadWithSecrets(
      live,
      new Map([
        ['API_KEY', 'new-key'],
        ['API_KEY_PREVIOUS', null],
      ]),
      'mcp-fleet secrets rotate API_KEY on v-older',
    );
    expect(upload.metadata.bindings).toEqual([
      { name: 'CLIENT_ID', type: 'plain_text', text: 'acme' },
      { name: 'ANALYTICS', type: 'analytics_engine', dataset: 'acme_metrics' },
      { name: 'UPSTREAM_TOKEN', type: 'inherit' },
      { name: 'API_KEY', type: 'secret_text', text: 'new-key' },
    ]);
    // The code is named as the live version's was, so status still knows which build runs.
    expect(upload.metadata.annotations).toEqual({
      'workers/message': 'mcp-fleet secrets rotate API_KEY on v-older',
      'workers/tag': 'bundle-0123456789abcdef',
    });
    expect(upload.metadata.keep_bindings).toBeUndefined();
    expect(upload.modules.map((m) => [m.name, Buffer.from(m.contents).toString()])).toEqual([['index.js', 'export default {}']]);
  });
});

describe('the code tag of a re-upload', () => {
  it('a version Cloudflare made for a secret change has no tag: its re-upload is named by the hash of its modules, as a deploy names it', () => {
    const modules = [{ name: 'index.js', contentType: 'application/javascript+module', contents: Buffer.from('export default {}') }];
    const fromSecretChange: VersionWithCode = { ...live, annotations: { 'workers/triggered_by': 'secret' } };
    const upload = uploadWithSecrets(fromSecretChange, new Map([['API_KEY', 'new-key']]), 'mcp-fleet secrets rotate API_KEY on v-older');
    expect(upload.metadata.annotations?.['workers/tag']).toBe(bundleTag(bundleHash(modules)));
    expect(codeTagOf({ ...live, annotations: { 'workers/tag': 'rollback-0123abcd' } })).toBe(bundleTag(bundleHash(modules)));
  });
});
