/**
 * The MCP hosts `connect` writes configurations for. Kept apart from the formats (and their YAML
 * and TOML writers) so that `--help` lists them without loading anything.
 */
export const HOSTS = [
  'claude',
  'claude-code',
  'claude-desktop',
  'codex',
  'cursor',
  'gemini',
  'vscode',
  'windsurf',
  'zed',
  'goose',
  'librechat',
  'json',
] as const;
export type Host = (typeof HOSTS)[number];

export function isHost(value: string): value is Host {
  return (HOSTS as readonly string[]).includes(value);
}

/**
 * Hosts people ask for that cannot reach a worker that takes a static key: each with why, so
 * `--for` says so instead of printing a configuration that cannot work.
 */
export const KEYLESS_HOSTS: Readonly<Record<string, string>> = {
  chatgpt:
    "ChatGPT's connectors (and apps) sign in with OAuth only and send no custom header, so they cannot carry a client's key, and the worker offers no OAuth yet. OAuth per client is planned: each client's worker will be its own OAuth 2.1 authorization server (Cloudflare's workers-oauth-provider), with people signing in through that client's identity provider.",
};

export function keylessReason(value: string): string | undefined {
  return Object.hasOwn(KEYLESS_HOSTS, value) ? KEYLESS_HOSTS[value] : undefined;
}
