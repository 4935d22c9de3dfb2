/**
 * The MCP hosts `connect` writes configurations for. Kept apart from the formats (and their YAML
 * writer) so that `--help` lists them without loading anything.
 */
export const HOSTS = ['claude-code', 'claude-desktop', 'cursor', 'vscode', 'windsurf', 'goose', 'librechat', 'json'] as const;
export type Host = (typeof HOSTS)[number];

export function isHost(value: string): value is Host {
  return (HOSTS as readonly string[]).includes(value);
}
