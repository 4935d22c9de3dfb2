import { stringify } from 'yaml';
import type { Host } from './hosts.js';

export { HOSTS, type Host, isHost } from './hosts.js';

/**
 * The configuration each MCP host reads to reach a client's worker, as that host documents it
 * (checked 2026-11): pure functions from servers to a document, and the document's text. A key is
 * in a document only when the server carries one (--inline-key); otherwise the document refers to
 * an environment variable named after the client, in the host's own interpolation syntax.
 */

/** One client's worker as a host should reach it. */
export interface HostServer {
  /** The server's name in the host's config: the client's name. */
  name: string;
  /** The worker's MCP endpoint (…/mcp). */
  url: string;
  /** The environment variable that holds the key, e.g. MCP_FLEET_ACME_API_KEY. */
  envName: string;
  /** The key itself, only with --inline-key. */
  key?: string;
}

export interface HostFormat {
  host: Host;
  /** The host's name as people write it. */
  label: string;
  /** The file the document is (or goes into). */
  fileName: string;
  syntax: 'json' | 'yaml';
  document(servers: readonly HostServer[]): Record<string, unknown>;
}

/** `acme-eu` → `MCP_FLEET_ACME_EU_API_KEY`: client names are lowercase letters, digits and dashes, so this is a valid variable name. */
export function keyEnvName(client: string): string {
  return `MCP_FLEET_${client.toUpperCase().replaceAll('-', '_')}_API_KEY`;
}

/** The VS Code input that asks for a client's key once and keeps it in VS Code's secret storage. */
export function vscodeInputId(server: Pick<HostServer, 'envName'>): string {
  return server.envName.toLowerCase().replaceAll('_', '-');
}

/** `Bearer <key>` with --inline-key, else `Bearer <reference>` in the host's syntax. */
function bearer(server: HostServer, reference: (envName: string) => string): string {
  return `Bearer ${server.key ?? reference(server.envName)}`;
}

const plain = (name: string) => `\${${name}}`;
const envColon = (name: string) => `\${env:${name}}`;

function byName<T>(servers: readonly HostServer[], entry: (server: HostServer) => T): Record<string, T> {
  return Object.fromEntries(servers.map((server) => [server.name, entry(server)]));
}

const claudeCode: HostFormat = {
  host: 'claude-code',
  label: 'Claude Code',
  fileName: '.mcp.json',
  syntax: 'json',
  // Claude Code expands ${VAR} in url and headers of .mcp.json when it starts.
  document: (servers) => ({
    mcpServers: byName(servers, (s) => ({ type: 'http', url: s.url, headers: { Authorization: bearer(s, plain) } })),
  }),
};

const claudeDesktop: HostFormat = {
  host: 'claude-desktop',
  label: 'Claude Desktop',
  fileName: 'claude_desktop_config.json',
  syntax: 'json',
  // Its config file starts local (stdio) servers only: mcp-remote bridges to the remote worker and
  // sends the header. mcp-remote expands ${VAR} in its arguments from its own environment, which
  // Claude Desktop gives it (plus the entry's env block, where --inline-key puts the key).
  document: (servers) => ({
    mcpServers: byName(servers, (s) => ({
      command: 'npx',
      args: [
        '-y',
        'mcp-remote',
        s.url,
        '--transport',
        'http-only',
        ...(s.url.startsWith('http:') ? ['--allow-http'] : []),
        '--header',
        `Authorization:Bearer ${plain(s.envName)}`,
      ],
      ...(s.key === undefined ? {} : { env: { [s.envName]: s.key } }),
    })),
  }),
};

const cursor: HostFormat = {
  host: 'cursor',
  label: 'Cursor',
  fileName: 'mcp.json',
  syntax: 'json',
  document: (servers) => ({ mcpServers: byName(servers, (s) => ({ url: s.url, headers: { Authorization: bearer(s, envColon) } })) }),
};

const vscode: HostFormat = {
  host: 'vscode',
  label: 'VS Code',
  fileName: 'mcp.json',
  syntax: 'json',
  // VS Code's documented place for a secret is an input: asked once, kept in its secret storage.
  document: (servers) => {
    const asked = servers.filter((s) => s.key === undefined);
    return {
      servers: byName(servers, (s) => ({
        type: 'http',
        url: s.url,
        headers: { Authorization: bearer(s, () => `\${input:${vscodeInputId(s)}}`) },
      })),
      ...(asked.length === 0
        ? {}
        : {
            inputs: asked.map((s) => ({
              type: 'promptString',
              id: vscodeInputId(s),
              description: `API key of ${s.name}'s MCP server (${s.envName})`,
              password: true,
            })),
          }),
    };
  },
};

const windsurf: HostFormat = {
  host: 'windsurf',
  label: 'Windsurf',
  fileName: 'mcp_config.json',
  syntax: 'json',
  // Windsurf reads a remote server's address from serverUrl, not url.
  document: (servers) => ({
    mcpServers: byName(servers, (s) => ({ serverUrl: s.url, headers: { Authorization: bearer(s, envColon) } })),
  }),
};

const goose: HostFormat = {
  host: 'goose',
  label: 'Goose',
  fileName: 'config.yaml',
  syntax: 'yaml',
  // Goose fills $NAME in headers from env_keys, which it reads from its environment (or keyring).
  document: (servers) => ({
    extensions: byName(servers, (s) => ({
      name: s.name,
      type: 'streamable_http',
      enabled: true,
      uri: s.url,
      headers: { Authorization: bearer(s, (name) => `$${name}`) },
      env_keys: s.key === undefined ? [s.envName] : [],
      envs: {},
      timeout: 300,
    })),
  }),
};

const librechat: HostFormat = {
  host: 'librechat',
  label: 'LibreChat',
  fileName: 'librechat.yaml',
  syntax: 'yaml',
  // LibreChat fills ${NAME} in headers from its server's environment (.env).
  document: (servers) => ({
    mcpServers: byName(servers, (s) => ({ type: 'streamable-http', url: s.url, headers: { Authorization: bearer(s, plain) } })),
  }),
};

const neutral: HostFormat = {
  host: 'json',
  label: 'JSON',
  fileName: 'mcp-server.json',
  syntax: 'json',
  // One server: {url, transport, headers}; several: the same, by client name.
  document: (servers) => {
    const entry = (s: HostServer) => ({ url: s.url, transport: 'streamable-http', headers: { Authorization: bearer(s, plain) } });
    const [only] = servers;
    return servers.length === 1 && only ? entry(only) : byName(servers, entry);
  },
};

export const HOST_FORMATS: Readonly<Record<Host, HostFormat>> = {
  'claude-code': claudeCode,
  'claude-desktop': claudeDesktop,
  cursor,
  vscode,
  windsurf,
  goose,
  librechat,
  json: neutral,
};

/** The document as the text of its file (JSON with two-space indent, or YAML), ending in a newline. */
export function documentText(format: HostFormat, servers: readonly HostServer[]): string {
  const document = format.document(servers);
  return format.syntax === 'yaml' ? stringify(document, { lineWidth: 0 }) : `${JSON.stringify(document, null, 2)}\n`;
}
