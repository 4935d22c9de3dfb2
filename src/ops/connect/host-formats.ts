import type { HostFormat, HostServer } from './host-types.js';
import type { Host } from './hosts.js';

/**
 * Each host's documented shape for a remote server with a bearer key (checked 2026-11). Every
 * value here is data: the writers (JSON, YAML, TOML) quote it, so a name or key can never become
 * syntax of the host's file.
 */

/** `Bearer <key>` with --inline-key, else `Bearer <reference>` in the host's syntax. */
function bearer(server: HostServer, reference: (envName: string) => string): string {
  return `Bearer ${server.key ?? reference(server.envName)}`;
}

const plain = (name: string) => `\${${name}}`;
const envColon = (name: string) => `\${env:${name}}`;
/** The VS Code input that asks for a client's key once and keeps it in VS Code's secret storage. */
export function vscodeInputId(server: Pick<HostServer, 'envName'>): string {
  return server.envName.toLowerCase().replaceAll('_', '-');
}

const claude: HostFormat = {
  host: 'claude',
  label: 'Claude (custom connectors)',
  fileName: null,
  syntax: 'form',
  key: 'typed',
  section: null,
  // The fields of Settings → Connectors → Add custom connector, in its order.
  entry: (s) => ({
    Name: s.name,
    'Remote MCP server URL': s.url,
    'Request header': 'Authorization',
    'Header value': `Bearer ${s.key ?? `<the API_KEY of ${s.name}>`}`,
  }),
};

/** ChatGPT (developer mode → Create connector): OAuth only, so the form has no credential field. */
const chatgpt: HostFormat = {
  host: 'chatgpt',
  label: 'ChatGPT (connectors)',
  fileName: null,
  syntax: 'form',
  key: 'typed',
  section: null,
  entry: (s) => ({ Name: s.name, 'MCP Server URL': s.url, Authentication: 'OAuth' }),
};

const claudeCode: HostFormat = {
  host: 'claude-code',
  label: 'Claude Code',
  fileName: '.mcp.json',
  defaultPath: '.mcp.json',
  syntax: 'json',
  key: 'variable',
  section: 'mcpServers',
  // Claude Code expands ${VAR} in url and headers of .mcp.json when it starts.
  entry: (s) => ({ type: 'http', url: s.url, headers: { Authorization: bearer(s, plain) } }),
};

const claudeDesktop: HostFormat = {
  host: 'claude-desktop',
  label: 'Claude Desktop',
  fileName: 'claude_desktop_config.json',
  syntax: 'json',
  key: 'variable',
  section: 'mcpServers',
  // Its config file starts local (stdio) servers only: mcp-remote bridges to the remote worker and
  // sends the header. mcp-remote expands ${VAR} in its arguments from its own environment, which
  // Claude Desktop gives it (plus the entry's env block, where --inline-key puts the key).
  entry: (s) => ({
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
  }),
};

const codex: HostFormat = {
  host: 'codex',
  label: 'Codex',
  fileName: 'config.toml',
  defaultPath: '~/.codex/config.toml',
  syntax: 'toml',
  // Codex sends `Authorization: Bearer <value of the variable>` and refuses a token written inline.
  key: 'environment',
  section: 'mcp_servers',
  entry: (s) => ({ url: s.url, bearer_token_env_var: s.envName }),
};

const cursor: HostFormat = {
  host: 'cursor',
  label: 'Cursor',
  fileName: 'mcp.json',
  defaultPath: '~/.cursor/mcp.json',
  syntax: 'json',
  key: 'variable',
  section: 'mcpServers',
  entry: (s) => ({ url: s.url, headers: { Authorization: bearer(s, envColon) } }),
};

const gemini: HostFormat = {
  host: 'gemini',
  label: 'Gemini CLI',
  fileName: 'settings.json',
  defaultPath: '~/.gemini/settings.json',
  syntax: 'json',
  key: 'variable',
  section: 'mcpServers',
  // httpUrl is streamable HTTP (url would mean SSE); Gemini CLI fills ${VAR} in settings strings.
  entry: (s) => ({ httpUrl: s.url, headers: { Authorization: bearer(s, plain) } }),
};

const vscode: HostFormat = {
  host: 'vscode',
  label: 'VS Code',
  fileName: 'mcp.json',
  defaultPath: '.vscode/mcp.json',
  syntax: 'json',
  key: 'variable',
  section: 'servers',
  // VS Code's documented place for a secret is an input: asked once, kept in its secret storage.
  entry: (s) => ({ type: 'http', url: s.url, headers: { Authorization: bearer(s, () => `\${input:${vscodeInputId(s)}}`) } }),
  input: (s) =>
    s.key === undefined
      ? { type: 'promptString', id: vscodeInputId(s), description: `API key of ${s.name}'s MCP server (${s.envName})`, password: true }
      : undefined,
};

const windsurf: HostFormat = {
  host: 'windsurf',
  label: 'Windsurf',
  fileName: 'mcp_config.json',
  defaultPath: '~/.codeium/windsurf/mcp_config.json',
  syntax: 'json',
  key: 'variable',
  section: 'mcpServers',
  // Windsurf reads a remote server's address from serverUrl, not url.
  entry: (s) => ({ serverUrl: s.url, headers: { Authorization: bearer(s, envColon) } }),
};

const zed: HostFormat = {
  host: 'zed',
  label: 'Zed',
  fileName: 'settings.json',
  defaultPath: '~/.config/zed/settings.json',
  syntax: 'json',
  // Zed sends a remote server's headers as written: it expands no variable in them.
  key: 'inline',
  section: 'context_servers',
  entry: (s) => ({ url: s.url, headers: { Authorization: `Bearer ${s.key ?? ''}` } }),
};

const goose: HostFormat = {
  host: 'goose',
  label: 'Goose',
  fileName: 'config.yaml',
  defaultPath: '~/.config/goose/config.yaml',
  syntax: 'yaml',
  key: 'variable',
  section: 'extensions',
  // Goose fills $NAME in headers from env_keys, which it reads from its environment (or keyring).
  entry: (s) => ({
    name: s.name,
    type: 'streamable_http',
    enabled: true,
    uri: s.url,
    headers: { Authorization: bearer(s, (name) => `$${name}`) },
    env_keys: s.key === undefined ? [s.envName] : [],
    envs: {},
    timeout: 300,
  }),
};

const librechat: HostFormat = {
  host: 'librechat',
  label: 'LibreChat',
  fileName: 'librechat.yaml',
  syntax: 'yaml',
  key: 'variable',
  section: 'mcpServers',
  // LibreChat fills ${NAME} in headers from its server's environment (.env).
  entry: (s) => ({ type: 'streamable-http', url: s.url, headers: { Authorization: bearer(s, plain) } }),
};

const neutral: HostFormat = {
  host: 'json',
  label: 'JSON',
  fileName: 'mcp-server.json',
  syntax: 'json',
  key: 'variable',
  section: null,
  entry: (s) => ({ url: s.url, transport: 'streamable-http', headers: { Authorization: bearer(s, plain) } }),
};

export const FORMATS: Readonly<Record<Host, HostFormat>> = {
  chatgpt,
  claude,
  'claude-code': claudeCode,
  'claude-desktop': claudeDesktop,
  codex,
  cursor,
  gemini,
  vscode,
  windsurf,
  zed,
  goose,
  librechat,
  json: neutral,
};
