import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse as parseToml } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { HOST_FORMATS, HOSTS } from '../../src/ops/connect/host-configs.js';
import type { ConnectJson } from '../../src/ui/json/index.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';

/**
 * `mcp-fleet connect` through the built binary: for every host the configuration parses in that
 * host's format and points at the client's worker on the edge; the key stays out unless
 * --inline-key (which needs --yes off a terminal); --write files get 0600 with a key and 0644
 * without, and never land in a git repository unless ignored. The neutral configuration, filled
 * in as a host would, opens the deployed worker.
 */

let fleet: TestFleet;
let outside: { dir: string; cleanup: () => Promise<void> };
const keys = new Map<string, string>();

/** Runs mcp-fleet without recording the output for the leak check: for commands that must print the key. */
const runWithKey = (args: string[]) => runCli(args, { cwd: fleet.dir });

beforeAll(async () => {
  fleet = await createTestFleet('connect', ['acme', 'globex']);
  for (const client of ['acme', 'globex']) keys.set(client, (await fleet.secrets(client)).get('API_KEY') as string);
  outside = await tempDir('mcp-fleet-connect-out-');
  const deployed = await fleet.cli(['deploy', 'acme', '--local', '--no-verify']);
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.stderr}`);
}, 300_000);

afterAll(async () => {
  try {
    await closeTestFleet(fleet);
  } finally {
    await outside?.cleanup();
  }
});

function parseAs(host: string, text: string): Record<string, unknown> {
  if (host === 'codex') return parseToml(text) as Record<string, unknown>;
  return (host === 'goose' || host === 'librechat' ? parseYaml(text) : JSON.parse(text)) as Record<string, unknown>;
}

/** The hosts whose configuration refers to the key (Claude's form and Zed take the key itself: connect-write.test.ts). */
const REFERRING = HOSTS.filter((host) => ['variable', 'environment'].includes(HOST_FORMATS[host].key));

function urlIn(host: string, doc: Record<string, unknown>, client: string): unknown {
  const servers = (key: string) => doc[key] as Record<string, Record<string, unknown>>;
  switch (host) {
    case 'claude-desktop':
      return (servers('mcpServers')[client]?.args as string[] | undefined)?.[2];
    case 'vscode':
      return servers('servers')[client]?.url;
    case 'codex':
      return servers('mcp_servers')[client]?.url;
    case 'gemini':
      return servers('mcpServers')[client]?.httpUrl;
    case 'windsurf':
      return servers('mcpServers')[client]?.serverUrl;
    case 'goose':
      return servers('extensions')[client]?.uri;
    case 'json':
      return doc.url ?? (doc[client] as Record<string, unknown> | undefined)?.url;
    default:
      return servers('mcpServers')[client]?.url;
  }
}

describe('connect', () => {
  test.each(REFERRING)('--for %s: parses as the host reads it, points at the worker, and refers to the key', async (host) => {
    const result = await fleet.cli(['connect', 'acme', '--for', host, '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    const doc = parseAs(host, result.stdout);
    expect(urlIn(host, doc, 'acme')).toBe(`${fleet.workerUrl('acme')}/mcp`);
    expect(result.stdout).not.toContain(keys.get('acme'));
    // The variable is named after the client; how to set it goes to stderr, without the key.
    expect(result.stdout + result.stderr).toMatch(host === 'vscode' ? /mcp-fleet-acme-api-key/ : /MCP_FLEET_ACME_API_KEY/);
    expect(result.stderr).toContain('export MCP_FLEET_ACME_API_KEY=');
    expect(result.stderr).toMatch(/Auth here:/);
    expect(result.stderr).not.toContain(keys.get('acme'));
  });

  test('--all puts every client in one document', async () => {
    const result = await fleet.cli(['connect', '--all', '--for', 'cursor', '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as { mcpServers: Record<string, { url: string }> };
    expect(Object.keys(doc.mcpServers)).toEqual(['acme', 'globex']);
    expect(doc.mcpServers.globex?.url).toBe(`${fleet.workerUrl('globex')}/mcp`);
  });

  test('--url: a worker behind its own domain needs no API token', async () => {
    const result = await fleet.cli(['connect', 'acme', '--for', 'windsurf', '--url', 'acme=https://mcp.acme.example/']);
    expect(result.exitCode, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as { mcpServers: Record<string, { serverUrl: string }> };
    expect(doc.mcpServers.acme?.serverUrl).toBe('https://mcp.acme.example/mcp');
  });

  test('host notes say what key-based auth cannot do', async () => {
    const desktop = await fleet.cli(['connect', 'acme', '--for', 'claude-desktop', '--local']);
    expect(desktop.stderr).toMatch(/mcp-remote/);
    // Claude's connectors take the key as a header now (on Pro, Max and Team): no note says OAuth only.
    expect(desktop.stderr).toMatch(/--for claude/);
    expect(desktop.stderr).not.toMatch(/OAuth only/);
    const cursor = await fleet.cli(['connect', 'acme', '--for', 'cursor', '--local']);
    expect(cursor.stderr).toMatch(/oauth-protected-resource/);
  });

  test('--json carries each configuration, without the key', async () => {
    const result = await fleet.cliJson<ConnectJson>(['connect', '--all', '--for', 'librechat', '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json).toMatchObject({ ok: true, host: 'librechat' });
    // The document on stdout; the human text (the configuration itself) on stderr.
    expect(result.stderr).toContain(`url: ${fleet.workerUrl('globex')}/mcp`);
    expect(result.json.clients.map((c) => [c.client, c.url, c.keyEmbedded])).toEqual([
      ['acme', `${fleet.workerUrl('acme')}/mcp`, false],
      ['globex', `${fleet.workerUrl('globex')}/mcp`, false],
    ]);
    expect(result.json.clients[0]?.config).toEqual({
      mcpServers: {
        acme: {
          type: 'streamable-http',
          url: `${fleet.workerUrl('acme')}/mcp`,
          headers: { Authorization: expect.stringContaining('MCP_FLEET_ACME_API_KEY') },
        },
      },
    });
  });

  test('--inline-key off a terminal needs --yes; with it the key is embedded', async () => {
    const refused = await fleet.cli(['connect', 'acme', '--for', 'json', '--local', '--inline-key']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/--inline-key/);
    expect(refused.stdout).toBe('');

    const embedded = await runWithKey(['connect', 'acme', '--for', 'json', '--local', '--inline-key', '--yes']);
    expect(embedded.exitCode, embedded.stderr).toBe(0);
    const doc = JSON.parse(embedded.stdout) as { url: string; transport: string; headers: Record<string, string> };
    expect(doc).toEqual({
      url: `${fleet.workerUrl('acme')}/mcp`,
      transport: 'streamable-http',
      headers: { Authorization: `Bearer ${keys.get('acme')}` },
    });
    // Guidance on stderr never repeats the key.
    expect(embedded.stderr).not.toContain(keys.get('acme'));

    const json = await runWithKey(['--json', 'connect', 'acme', '--for', 'cursor', '--local', '--inline-key', '--yes']);
    expect((JSON.parse(json.stdout) as ConnectJson).clients[0]?.config).toMatchObject({
      mcpServers: { acme: { headers: { Authorization: `Bearer ${keys.get('acme')}` } } },
    });
    // The document has the key; the human text on stderr does not repeat it.
    expect(json.stderr).not.toContain(keys.get('acme'));
  });

  test('the neutral configuration, filled in as a host would, opens the worker', async () => {
    const result = await fleet.cli(['connect', 'acme', '--for', 'json', '--local']);
    const doc = JSON.parse(result.stdout) as { url: string; headers: Record<string, string> };
    const headers = Object.fromEntries(
      Object.entries(doc.headers).map(([name, value]) => [name, value.replace(`\${MCP_FLEET_ACME_API_KEY}`, keys.get('acme') as string)]),
    );
    const response = await fetch(doc.url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'connect-test', version: '1.0.0' } },
      }),
    });
    expect(response.status).toBe(200);
    await response.body?.cancel();
  });

  test('--write: one file per client, 0644 referring to the key, 0600 with it', async () => {
    const plain = join(outside.dir, 'plain');
    const written = await fleet.cli(['connect', '--all', '--for', 'librechat', '--local', '--write', plain]);
    expect(written.exitCode, written.stderr).toBe(0);
    for (const client of ['acme', 'globex']) {
      const path = join(plain, client, 'librechat.yaml');
      expect(written.stdout).toContain(path);
      expect((await stat(path)).mode & 0o777).toBe(0o644);
      const text = await readFile(path, 'utf8');
      expect(text).not.toContain(keys.get(client));
      const doc = parseYaml(text) as { mcpServers: Record<string, { type: string; url: string; headers: Record<string, string> }> };
      expect(doc.mcpServers[client]).toEqual({
        type: 'streamable-http',
        url: `${fleet.workerUrl(client)}/mcp`,
        headers: { Authorization: `Bearer \${MCP_FLEET_${client.toUpperCase()}_API_KEY}` },
      });
    }

    const secret = join(outside.dir, 'secret');
    const embedded = await runWithKey(['connect', '--all', '--for', 'librechat', '--local', '--write', secret, '--inline-key', '--yes']);
    expect(embedded.exitCode, embedded.stderr).toBe(0);
    expect(embedded.stdout + embedded.stderr).not.toContain(keys.get('acme'));
    for (const client of ['acme', 'globex']) {
      const path = join(secret, client, 'librechat.yaml');
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect((await stat(join(secret, client))).mode & 0o777).toBe(0o700);
      const doc = parseYaml(await readFile(path, 'utf8')) as { mcpServers: Record<string, { headers: Record<string, string> }> };
      expect(doc.mcpServers[client]?.headers.Authorization).toBe(`Bearer ${keys.get(client)}`);
    }
  });

  test('--write refuses a directory inside a git repository unless git ignores it', async () => {
    const repo = join(outside.dir, 'repo');
    await mkdir(repo);
    await execa('git', ['init', '-q'], { cwd: repo });
    const target = join(repo, 'configs');
    const refused = await fleet.cli(['connect', '--all', '--for', 'goose', '--local', '--write', target]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/--write .*not ignored/s);
    await expect(stat(target)).rejects.toThrow();

    await writeFile(join(repo, '.gitignore'), 'configs/\n');
    const allowed = await fleet.cli(['connect', '--all', '--for', 'goose', '--local', '--write', target]);
    expect(allowed.exitCode, allowed.stderr).toBe(0);
    const doc = parseYaml(await readFile(join(target, 'acme', 'config.yaml'), 'utf8')) as { extensions: Record<string, { uri: string }> };
    expect(doc.extensions.acme?.uri).toBe(`${fleet.workerUrl('acme')}/mcp`);
  });

  test('bad input is exit 2 naming the flag', async () => {
    const missing = await fleet.cli(['connect', 'acme', '--local']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/--for is required/);
    const unknown = await fleet.cli(['connect', 'acme', '--for', 'notepad', '--local']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/--for notepad: not a host mcp-fleet knows/);
    const nobody = await fleet.cli(['connect', 'nobody', '--for', 'json', '--local']);
    expect(nobody.exitCode).toBe(2);
    expect(nobody.stderr).toMatch(/unknown client/);
  });
});
