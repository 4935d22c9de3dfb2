/**
 * The MCP hosts `connect` writes configurations for. Kept apart from the formats (and their YAML
 * and TOML writers) so that `--help` lists them without loading anything.
 */
export const HOSTS = [
  'chatgpt',
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

/** Hosts that take no static key at all: a client must offer OAuth for them. */
export const OAUTH_ONLY_HOSTS: readonly Host[] = ['chatgpt'];
