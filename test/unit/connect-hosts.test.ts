import { parse as parseToml } from 'smol-toml';
import { describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  documentText,
  HOST_FORMATS,
  HOSTS,
  type HostServer,
  isHost,
  keyEnvName,
  OAUTH_ONLY_HOSTS,
  vscodeInputId,
} from '../../src/ops/connect/host-configs.js';
import { hostAuthFor } from '../../src/ops/connect/host-modes.js';
import { COMMON_AUTH_NOTE, hostNotes, keyEnvLines } from '../../src/ops/connect/host-notes.js';

/** Hosts that take the client's key (every one but ChatGPT). */
const KEY_HOSTS = HOSTS.filter((host) => !OAUTH_ONLY_HOSTS.includes(host));

const KEY = 'mcpf_unit_test_key_do_not_print_0123456789';
/** `${inner}` as the hosts write it (not a template placeholder). */
const ref = (inner: string) => `\${${inner}}`;
const acme: HostServer = { name: 'acme', url: 'https://acme.example.workers.dev/mcp', envName: keyEnvName('acme') };
const globex: HostServer = { name: 'globex-eu', url: 'http://globex-eu.localhost:8787/mcp', envName: keyEnvName('globex-eu') };

function parsed(host: (typeof HOSTS)[number], servers: HostServer[]): Record<string, unknown> {
  const format = HOST_FORMATS[host];
  const text = documentText(format, servers);
  if (format.syntax === 'form') return formFields(text);
  if (format.syntax === 'toml') return parseToml(text) as Record<string, unknown>;
  return (format.syntax === 'yaml' ? parseYaml(text) : JSON.parse(text)) as Record<string, unknown>;
}

/** `Field: value` lines, by client (blocks apart by a blank line, each starting with its Name). */
function formFields(text: string): Record<string, unknown> {
  const blocks = text.trim().split('\n\n');
  return Object.fromEntries(
    blocks.map((block) => {
      const fields = Object.fromEntries(
        block.split('\n').map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)]),
      );
      return [fields.Name, fields];
    }),
  );
}

/** Where each host keeps a server's URL and Authorization header, per its documented format. */
function entryOf(host: (typeof HOSTS)[number], doc: Record<string, unknown>, name: string): { url: unknown; auth: unknown } {
  const get = (path: string[]): unknown => path.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
  switch (host) {
    case 'chatgpt':
      return { url: get([name, 'MCP Server URL']), auth: get([name, 'Authentication']) };
    case 'claude':
      return { url: get([name, 'Remote MCP server URL']), auth: get([name, 'Header value']) };
    case 'codex':
      return { url: get(['mcp_servers', name, 'url']), auth: get(['mcp_servers', name, 'bearer_token_env_var']) };
    case 'gemini':
      return { url: get(['mcpServers', name, 'httpUrl']), auth: get(['mcpServers', name, 'headers', 'Authorization']) };
    case 'zed':
      return { url: get(['context_servers', name, 'url']), auth: get(['context_servers', name, 'headers', 'Authorization']) };
    case 'claude-code':
      return { url: get(['mcpServers', name, 'url']), auth: get(['mcpServers', name, 'headers', 'Authorization']) };
    case 'claude-desktop': {
      const args = get(['mcpServers', name, 'args']) as string[];
      return { url: args[2], auth: args[args.indexOf('--header') + 1] };
    }
    case 'cursor':
      return { url: get(['mcpServers', name, 'url']), auth: get(['mcpServers', name, 'headers', 'Authorization']) };
    case 'vscode':
      return { url: get(['servers', name, 'url']), auth: get(['servers', name, 'headers', 'Authorization']) };
    case 'windsurf':
      return { url: get(['mcpServers', name, 'serverUrl']), auth: get(['mcpServers', name, 'headers', 'Authorization']) };
    case 'goose':
      return { url: get(['extensions', name, 'uri']), auth: get(['extensions', name, 'headers', 'Authorization']) };
    case 'librechat':
      return { url: get(['mcpServers', name, 'url']), auth: get(['mcpServers', name, 'headers', 'Authorization']) };
    case 'json':
      return {
        url: get([name, 'url']) ?? get(['url']),
        auth: get([name, 'headers', 'Authorization']) ?? get(['headers', 'Authorization']),
      };
  }
}

describe('host configurations', () => {
  test('the key variable is named after the client', () => {
    expect(keyEnvName('acme')).toBe('MCP_FLEET_ACME_API_KEY');
    expect(keyEnvName('globex-eu-2')).toBe('MCP_FLEET_GLOBEX_EU_2_API_KEY');
    expect(vscodeInputId(acme)).toBe('mcp-fleet-acme-api-key');
  });

  test.each(KEY_HOSTS)('%s: parses, points at the URL, and refers to the variable in its own syntax', (host) => {
    const doc = parsed(host, [acme]);
    const entry = entryOf(host, doc, 'acme');
    expect(entry.url).toBe(acme.url);
    if (host === 'zed') expect(HOST_FORMATS.zed.key).toBe('inline');
    const expected: Record<string, string> = {
      claude: 'Bearer <the API_KEY of acme>',
      codex: 'MCP_FLEET_ACME_API_KEY',
      gemini: `Bearer ${ref('MCP_FLEET_ACME_API_KEY')}`,
      // Zed reads no variable: without the key there is nothing to send (the CLI requires --inline-key).
      zed: 'Bearer ',
      'claude-code': `Bearer ${ref('MCP_FLEET_ACME_API_KEY')}`,
      'claude-desktop': `Authorization:Bearer ${ref('MCP_FLEET_ACME_API_KEY')}`,
      cursor: `Bearer ${ref('env:MCP_FLEET_ACME_API_KEY')}`,
      vscode: `Bearer ${ref('input:mcp-fleet-acme-api-key')}`,
      windsurf: `Bearer ${ref('env:MCP_FLEET_ACME_API_KEY')}`,
      goose: 'Bearer $MCP_FLEET_ACME_API_KEY',
      librechat: `Bearer ${ref('MCP_FLEET_ACME_API_KEY')}`,
      json: `Bearer ${ref('MCP_FLEET_ACME_API_KEY')}`,
    };
    expect(entry.auth).toBe(expected[host]);
    expect(JSON.stringify(doc)).not.toContain(KEY);
  });

  test.each(KEY_HOSTS.filter((host) => host !== 'codex'))(
    '%s: with the key inline it is embedded and nothing refers to a variable',
    (host) => {
      const doc = parsed(host, [{ ...acme, key: KEY }]);
      expect(JSON.stringify(doc)).toContain(KEY);
      const auth = String(entryOf(host, doc, 'acme').auth);
      if (host === 'claude-desktop') {
        // mcp-remote takes the key from the entry's env block.
        expect((doc.mcpServers as Record<string, { env: Record<string, string> }>).acme?.env).toEqual({ MCP_FLEET_ACME_API_KEY: KEY });
      } else {
        expect(auth).toBe(`Bearer ${KEY}`);
      }
      if (host === 'vscode') expect(doc.inputs).toBeUndefined();
      if (host === 'goose') expect((doc.extensions as Record<string, { env_keys: string[] }>).acme?.env_keys).toEqual([]);
    },
  );

  test('each host has its documented shape', () => {
    expect(parsed('claude-code', [acme])).toEqual({
      mcpServers: { acme: { type: 'http', url: acme.url, headers: { Authorization: `Bearer ${ref('MCP_FLEET_ACME_API_KEY')}` } } },
    });
    expect(parsed('vscode', [acme])).toEqual({
      servers: { acme: { type: 'http', url: acme.url, headers: { Authorization: `Bearer ${ref('input:mcp-fleet-acme-api-key')}` } } },
      inputs: [
        {
          type: 'promptString',
          id: 'mcp-fleet-acme-api-key',
          description: expect.stringContaining('MCP_FLEET_ACME_API_KEY'),
          password: true,
        },
      ],
    });
    expect(parsed('goose', [acme])).toEqual({
      extensions: {
        acme: {
          name: 'acme',
          type: 'streamable_http',
          enabled: true,
          uri: acme.url,
          headers: { Authorization: 'Bearer $MCP_FLEET_ACME_API_KEY' },
          env_keys: ['MCP_FLEET_ACME_API_KEY'],
          envs: {},
          timeout: 300,
        },
      },
    });
    expect(parsed('librechat', [acme])).toEqual({
      mcpServers: {
        acme: { type: 'streamable-http', url: acme.url, headers: { Authorization: `Bearer ${ref('MCP_FLEET_ACME_API_KEY')}` } },
      },
    });
    expect(parsed('json', [acme])).toEqual({
      url: acme.url,
      transport: 'streamable-http',
      headers: { Authorization: `Bearer ${ref('MCP_FLEET_ACME_API_KEY')}` },
    });
    const desktop = parsed('claude-desktop', [acme]).mcpServers as Record<string, { command: string; args: string[] }>;
    expect(desktop.acme).toEqual({
      command: 'npx',
      args: ['-y', 'mcp-remote', acme.url, '--transport', 'http-only', '--header', `Authorization:Bearer ${ref('MCP_FLEET_ACME_API_KEY')}`],
    });
  });

  test('several clients share one document; an http URL lets mcp-remote use plain HTTP', () => {
    for (const host of KEY_HOSTS) {
      const doc = parsed(host, [acme, globex]);
      expect(entryOf(host, doc, 'acme').url).toBe(acme.url);
      expect(entryOf(host, doc, 'globex-eu').url).toBe(globex.url);
    }
    const desktop = parsed('claude-desktop', [globex]).mcpServers as Record<string, { args: string[] }>;
    expect(desktop['globex-eu']?.args).toContain('--allow-http');
  });

  test('every host says where the file goes, how the key is read and what its auth supports', () => {
    for (const host of KEY_HOSTS) {
      const notes = hostNotes(host);
      expect(notes.where.length).toBeGreaterThan(10);
      // Hosts that read a variable name it; Claude's form and Zed take the key itself.
      if (['variable', 'environment'].includes(HOST_FORMATS[host].key))
        expect(notes.keyReference(acme)).toContain('MCP_FLEET_ACME_API_KEY');
      expect(notes.auth.length).toBeGreaterThan(0);
    }
    expect(hostNotes('claude-desktop').auth.join(' ')).toMatch(/--for claude/);
    expect(hostNotes('cursor').auth.join(' ')).toMatch(/oauth-protected-resource/);
    expect(hostNotes('claude-code').keyReference(acme)).toContain(
      `claude mcp add --transport http --scope project acme ${acme.url} --header 'Authorization: Bearer ${ref('MCP_FLEET_ACME_API_KEY')}'`,
    );
  });

  test("no note says Claude's connectors take OAuth only; each says which plans take the header", () => {
    const everything = [COMMON_AUTH_NOTE, ...KEY_HOSTS.flatMap((host) => [hostNotes(host).where, ...hostNotes(host).auth])].join('\n');
    expect(everything).not.toMatch(/(claude\.ai|Claude Desktop|Claude)[^.\n]*OAuth only/i);
    const claude = hostNotes('claude').auth.join(' ');
    expect(claude).toMatch(/Pro, Max and Team plans since 2026-08/);
    expect(claude).toMatch(/Enterprise plans cannot set one yet/);
    expect(claude).toMatch(/organization[^.]*OAuth/);
    expect(claude).toMatch(/public \(https\)/);
    expect(hostNotes('codex').auth.join(' ')).toMatch(/--inline-key is refused/);
    expect(hostNotes('zed').keyReference(acme)).toMatch(/--inline-key is required/);
  });

  test('ChatGPT signs in with OAuth only: a key-only client cannot be reached from it, an oauth client can', () => {
    expect(isHost('chatgpt')).toBe(true);
    expect(hostAuthFor('chatgpt', ['key'])).toMatchObject({ mode: 'none' });
    expect(hostAuthFor('chatgpt', ['key', 'oauth'])).toMatchObject({ mode: 'oauth' });
    const form = parsed('chatgpt', [{ ...acme, oauth: true }]).acme as Record<string, string>;
    expect(form).toEqual({ Name: 'acme', 'MCP Server URL': acme.url, Authentication: 'OAuth' });
  });

  test('Cursor uses OAuth once the client offers it (it drops configured headers then); other hosts keep the key', () => {
    expect(hostAuthFor('cursor', ['key', 'oauth']).mode).toBe('oauth');
    expect(hostAuthFor('cursor', ['key']).mode).toBe('key');
    expect(hostAuthFor('claude', ['key', 'oauth']).mode).toBe('oauth');
    expect(hostAuthFor('claude-code', ['key', 'oauth']).mode).toBe('key');
    expect(hostAuthFor('vscode', ['oauth']).mode).toBe('oauth');
    // Zed documents no OAuth sign-in for remote servers: an oauth-only client is out of its reach.
    expect(hostAuthFor('zed', ['oauth']).mode).toBe('none');
  });

  test.each(KEY_HOSTS.filter((host) => hostAuthFor(host, ['oauth']).mode === 'oauth'))(
    '%s: an OAuth entry carries no credential and no reference to one',
    (host) => {
      const doc = parsed(host, [{ ...acme, oauth: true, key: KEY }]);
      const text = JSON.stringify(doc);
      expect(entryOf(host, doc, 'acme').url ?? text).toBeTruthy();
      expect(text).toContain(acme.url);
      expect(text).not.toContain(KEY);
      expect(text).not.toContain('MCP_FLEET_ACME_API_KEY');
      expect(text).not.toMatch(/Bearer/);
    },
  );

  test('the new hosts have their documented shapes', () => {
    expect(parsed('codex', [acme])).toEqual({ mcp_servers: { acme: { url: acme.url, bearer_token_env_var: 'MCP_FLEET_ACME_API_KEY' } } });
    expect(parsed('gemini', [acme])).toEqual({
      mcpServers: { acme: { httpUrl: acme.url, headers: { Authorization: `Bearer ${ref('MCP_FLEET_ACME_API_KEY')}` } } },
    });
    expect(parsed('zed', [{ ...acme, key: KEY }])).toEqual({
      context_servers: { acme: { url: acme.url, headers: { Authorization: `Bearer ${KEY}` } } },
    });
    expect(documentText(HOST_FORMATS.claude, [acme])).toBe(
      `Name: acme\nRemote MCP server URL: ${acme.url}\nRequest header: Authorization\nHeader value: Bearer <the API_KEY of acme>\n`,
    );
  });

  test('the lines that set the variable never hold a key', () => {
    const lines = keyEnvLines('MCP_FLEET_ACME_API_KEY', "/home/o'neil/fleet/.secrets.acme");
    expect(lines[0]).toBe("export MCP_FLEET_ACME_API_KEY='<the API_KEY handed over for this client>'");
    expect(lines[1]).toContain(`sed -n 's/^API_KEY=//p' '/home/o'\\''neil/fleet/.secrets.acme'`);
  });
});
