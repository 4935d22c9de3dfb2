import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Client } from '../../src/fleet/fleet.js';
import { checkAuth } from '../../src/ops/verify/checks.js';
import { workerKeyFindings } from '../../src/ops/verify/worker-keys.js';
import { entriesToMap, parseSecrets } from '../../src/secrets/dotfile.js';

/** What verify's auth check adds to its probes: the keys that open a worker besides the ones it presents (pure). */

const client = { name: 'acme', workerName: 'acme', secretsPath: '/p/.secrets.acme' } as Client;
const KEY = 'Zq3v_kW9xT0bN7mR2pLc8YdF5hJ1sA6gE4uI-oVnBtQ';
const OLD = 'Wm2c_8Hq1Lx7Vb3Nf6Tr0Pz4Yd9Ks5Ja-eGuIoBnRtS';

function file(text: string) {
  const entries = parseSecrets(text, '.secrets.acme');
  return { values: entriesToMap(entries), lines: new Map(entries.map((entry) => [entry.key, entry.line])) };
}
const names =
  (...list: string[]) =>
  async () =>
    list;

describe("the keys a worker holds that verify's probes cannot see", () => {
  it('a worker-only API_KEY_PREVIOUS fails, naming it and how to delete it', async () => {
    const findings = await workerKeyFindings(client, file(`API_KEY=${KEY}\n`), names('API_KEY', 'API_KEY_PREVIOUS', 'UPSTREAM_TOKEN'));
    expect(findings.problems).toEqual([
      expect.stringMatching(/^the worker holds API_KEY_PREVIOUS, which \.secrets\.acme does not name: .*secrets retire acme\)$/),
    ]);
  });

  it('a previous key the file names (a grace period) is fine; so is a worker without one', async () => {
    expect(
      await workerKeyFindings(client, file(`API_KEY=${KEY}\nAPI_KEY_PREVIOUS=${OLD}\n`), names('API_KEY', 'API_KEY_PREVIOUS')),
    ).toEqual({
      problems: [],
      notes: [],
    });
    expect(await workerKeyFindings(client, file(`API_KEY=${KEY}\n`), names('API_KEY'))).toEqual({ problems: [], notes: [] });
  });

  it('a weak previous key in the file fails while the worker holds it (or nobody can say it does not)', async () => {
    const weak = file(`API_KEY=${KEY}\nAPI_KEY_PREVIOUS=ab\n`);
    const held = await workerKeyFindings(client, weak, names('API_KEY', 'API_KEY_PREVIOUS'));
    expect(held.problems).toEqual([
      'API_KEY_PREVIOUS in .secrets.acme:2 is 2 bytes long, under the 16 a key needs, and it opens the worker as API_KEY does',
    ]);
    expect((await workerKeyFindings(client, weak, undefined)).problems).toHaveLength(1);
    expect((await workerKeyFindings(client, weak, names('API_KEY'))).problems).toEqual([]);
  });

  it('an API_KEY that breaks the rules fails, by line, without its value', async () => {
    const findings = await workerKeyFindings(client, file(`# key\nAPI_KEY=${KEY} \n`), undefined);
    expect(findings.problems).toEqual([expect.stringMatching(/^API_KEY in \.secrets\.acme:2 ends with whitespace/)]);
    expect(findings.problems.join()).not.toContain(KEY.slice(0, 8));
  });

  it('names that cannot be read are said, and fail nothing', async () => {
    const findings = await workerKeyFindings(client, file(`API_KEY=${KEY}\n`), async () => {
      throw new Error('the API answered 503');
    });
    expect(findings).toEqual({ problems: [], notes: [expect.stringContaining('could not be read (the API answered 503)')] });
    const missing = await workerKeyFindings(client, file(`API_KEY=${KEY}\n`), async () => undefined);
    expect(missing.notes).toEqual(['the API knows no worker acme, so its secret names were not checked']);
  });

  it('the auth check fails on a finding though both probes were refused, and carries notes on a pass', async () => {
    // A worker that refuses everyone: on its probes alone, auth passes.
    const server = createServer((_request, response) => response.writeHead(401).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const options = { timeoutMs: 5_000, wrongKey: 'mcpf_wrong_key_for_the_unit_test' };
      const plain = await checkAuth(url, { ...options, keys: { problems: [], notes: ['names not read'] } });
      expect(plain).toMatchObject({ ok: true, detail: 'no credentials → 401, wrong key → 401 (names not read)' });
      const held = await checkAuth(url, { ...options, keys: { problems: ['the worker holds API_KEY_PREVIOUS, which …'], notes: [] } });
      expect(held).toMatchObject({ ok: false, detail: 'the worker holds API_KEY_PREVIOUS, which …' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
