import type { HostServer } from './host-configs.js';
import type { Host } from './hosts.js';

/**
 * What a person needs to know before handing a host configuration to a customer: where it goes,
 * how the host gets the key, and what the worker's key-only auth (a bearer key, no OAuth) can and
 * cannot do in that host. As the hosts document it (checked 2026-11).
 */
export interface HostNotes {
  /** Where the document goes. */
  where: string;
  /** How the host reads the key of `server` (its variable) when the document refers to it (no --inline-key). */
  keyReference: (server: Pick<HostServer, 'name' | 'url' | 'envName'>) => string;
  /** What key-based auth supports in this host and what it does not. */
  auth: string[];
}

/** Everywhere: which hosts need OAuth, and how a client offers it. */
export const COMMON_AUTH_NOTE =
  "A host that can only sign in with OAuth (ChatGPT's connectors; Claude on Enterprise plans) needs a client with oauth among its modes: mcp-fleet auth <client> key,oauth, then deploy; people then sign in with an invitation (users invite) or their company's identity provider.";

/** What a person does when the host signs in with OAuth at a client's worker. */
export const OAUTH_STEPS = [
  "The host finds the worker's OAuth metadata itself, registers (a Client ID Metadata Document, or dynamic registration) and opens the client's sign-in page in a browser.",
  'There the person enters the invitation code from `mcp-fleet users invite <client> <email>`, or signs in with their company identity provider when the client has one; whoami then names them.',
  'Offboarding one person: `mcp-fleet users revoke <client> <email>`; everyone else keeps working.',
];

const NOTES: Readonly<Record<Host, HostNotes>> = {
  chatgpt: {
    where:
      'ChatGPT: Settings → Apps & Connectors → Advanced settings → turn on Developer mode, then Create (a workspace admin publishes it for Business and Enterprise); enter the fields below and choose OAuth',
    keyReference: () => 'ChatGPT takes no key: it signs in with OAuth',
    auth: [
      'ChatGPT sends no custom header: it signs in with OAuth only (it prefers a Client ID Metadata Document, then dynamic registration), so the client needs oauth among its modes.',
      "ChatGPT connects from OpenAI's cloud: the URL must be public (https). A worker on the local edge cannot be reached from there.",
    ],
  },
  claude: {
    where:
      'claude.ai, Claude Desktop or the mobile app: Settings → Connectors → Add custom connector (on Team plans an Owner adds it for the organization); enter the fields below',
    keyReference: ({ name }) =>
      `Claude reads no variable: the header's value is "Bearer " and ${name}'s key, pasted into the form (with --inline-key, at a terminal, the value is printed in full)`,
    auth: [
      'Custom connectors take a static request header on Pro, Max and Team plans since 2026-08 (up to four headers; Authorization is one Claude allows). Enterprise plans cannot set one yet, and connectors added for a whole organization have been seen to ignore the header and start an OAuth sign-in, which the worker does not offer: if Claude asks to sign in, that is why.',
      "Claude connects from Anthropic's cloud, not from this machine: the URL must be public (https). A worker on the local edge cannot be reached from there.",
    ],
  },
  'claude-code': {
    where: '.mcp.json at the root of the project (shared with the team), or merge the entry into an existing one',
    keyReference: ({ envName: n, name, url }) =>
      `Claude Code expands \${${n}} in url and headers when it starts, from its own environment. The same entry from the CLI (single quotes keep the variable for Claude Code): claude mcp add --transport http --scope project ${name} ${url} --header 'Authorization: Bearer \${${n}}'`,
    auth: [
      'Claude Code sends the header with every request; `claude mcp list` shows the server connected.',
      `Some Claude Code versions sent a \${VARIABLE} in headers unexpanded (anthropics/claude-code#51581): if the worker answers 401, check \`claude mcp get <name>\` and update Claude Code.`,
    ],
  },
  'claude-desktop': {
    where: 'claude_desktop_config.json (Settings → Developer → Edit Config); merge the entry into mcpServers',
    keyReference: ({ envName: n }) =>
      `Claude Desktop does not expand variables in its config; mcp-remote expands \${${n}} in its arguments from the environment Claude Desktop starts it with — set ${n} there, or add "env": {"${n}": "…"} to the entry (--inline-key writes it)`,
    auth: [
      'Its config file starts local servers only: a remote worker with a key needs the mcp-remote bridge (Node.js and npx on the machine), which sends the header.',
      'Its Connectors UI (Settings → Connectors) takes the key as a request header on Pro, Max and Team plans: --for claude prints the fields. The config file here works on every plan.',
      `On Windows, Claude Desktop passes arguments with spaces unquoted; there, put "Authorization:\${AUTH}" in args and AUTH = "Bearer <key>" in the entry's env.`,
    ],
  },
  codex: {
    where:
      '~/.codex/config.toml (every project; shared by the Codex CLI, IDE extension and app) or .codex/config.toml of a trusted project; merge the [mcp_servers.<client>] table',
    keyReference: ({ envName: n }) =>
      `Codex reads the key from ${n} (bearer_token_env_var) in the environment it starts in and sends it as a bearer token; restart Codex after setting it`,
    auth: [
      'Codex refuses a token written into config.toml: the key always comes from the environment, so --inline-key is refused for codex.',
      'Codex signs in with OAuth only through `codex mcp login`, for servers that offer it; with bearer_token_env_var set it sends the key.',
    ],
  },
  cursor: {
    where: '~/.cursor/mcp.json (every project) or .cursor/mcp.json (this project); merge the entry into mcpServers',
    keyReference: ({ envName: n }) => `Cursor expands \${env:${n}} in url and headers from its environment`,
    auth: [
      'Cursor sends configured headers unless the server answers OAuth discovery (/.well-known/oauth-protected-resource); the worker serves none, so the key is sent.',
    ],
  },
  gemini: {
    where: '~/.gemini/settings.json (every project) or .gemini/settings.json (this project); merge the entry into mcpServers',
    keyReference: ({ envName: n }) => `Gemini CLI fills \${${n}} in settings.json from its environment when it loads the file`,
    auth: [
      'The entry uses httpUrl (streamable HTTP): to Gemini CLI a `url` field means SSE, which the worker does not serve.',
      'On a 401 Gemini CLI looks for OAuth, which the worker does not offer: a 401 means the key is wrong or missing.',
    ],
  },
  vscode: {
    where: '.vscode/mcp.json (this workspace) or the user mcp.json (command: MCP: Open User Configuration); merge into servers and inputs',
    keyReference: ({ envName: n }) =>
      `VS Code asks for the key once (the input named after ${n}), keeps it in its secret storage and fills \${input:…} in the header; paste the value of ${n}`,
    auth: ['VS Code sends the header with every request; no OAuth sign-in is needed or offered.'],
  },
  windsurf: {
    where: '~/.codeium/windsurf/mcp_config.json (MCP panel → Configure); merge the entry into mcpServers',
    keyReference: ({ envName: n }) => `Windsurf expands \${env:${n}} in serverUrl and headers from its environment`,
    auth: ['Windsurf takes a remote server as serverUrl with headers; a `url` field (Cursor style) does not connect.'],
  },
  zed: {
    where: '~/.config/zed/settings.json (zed: open settings) or .zed/settings.json of a project; merge the entry into context_servers',
    keyReference: () =>
      "Zed expands no variable in a remote server's headers (zed-industries/zed#60459): the key itself is in the entry, so --inline-key is required",
    auth: ['Zed sends the header with every request. A settings.json holding a key is private (0600): keep it out of shared dotfiles.'],
  },
  goose: {
    where: '~/.config/goose/config.yaml (Windows: %APPDATA%\\Block\\goose\\config\\config.yaml); merge the entry into extensions',
    keyReference: ({ envName: n }) =>
      `Goose reads ${n} (listed in env_keys) from its environment or its keyring (goose configure) and fills $${n} in headers`,
    auth: ['Goose sends the header; on a 401 it tries OAuth, which the worker does not offer — a 401 means the key is wrong or missing.'],
  },
  librechat: {
    where: 'librechat.yaml of the LibreChat server; merge the entry into mcpServers and restart LibreChat',
    keyReference: ({ envName: n }) => `LibreChat fills \${${n}} in headers from its server's environment (.env)`,
    auth: [
      "The key is the LibreChat server's, shared by every LibreChat user who enables the server: give it to one customer's LibreChat only. For a key per user, LibreChat's customUserVars (a {{VARIABLE}} each user fills in) asks each user instead.",
    ],
  },
  json: {
    where: 'wherever your tooling reads it: url, transport (MCP streamable HTTP, JSON answers, no sessions) and the Authorization header',
    keyReference: ({ envName: n }) => `\${${n}} stands for the value of ${n}: fill it in from your environment`,
    auth: ['Any client that can send an Authorization header on POST /mcp can use the worker, in MCP 2026-07-28 or the 2025 revisions.'],
  },
};

export function hostNotes(host: Host): HostNotes {
  return NOTES[host];
}

/**
 * Shell lines that set a client's key variable without printing the key: the operator's own copy
 * comes from the secrets file; a customer puts in the value handed to them.
 */
export function keyEnvLines(envName: string, secretsPath: string): string[] {
  return [
    `export ${envName}='<the API_KEY handed over for this client>'`,
    `export ${envName}="$(sed -n 's/^API_KEY=//p' ${shellQuote(secretsPath)})"   # on this machine, from the secrets file`,
  ];
}

/** The shell line that prints a client's key from its secrets file (run by a person, never by mcp-fleet). */
export function keyShowLine(secretsPath: string): string {
  return `sed -n 's/^API_KEY=//p' ${shellQuote(secretsPath)}`;
}

function shellQuote(path: string): string {
  return /^[\w./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}
