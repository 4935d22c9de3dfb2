import type { Host } from './hosts.js';

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
  /** The host signs in with OAuth at this client's worker: the entry carries no credential at all. */
  oauth?: boolean;
}

/**
 * How a host gets the key. variable: the configuration refers to an environment variable, or
 * holds the key with --inline-key. environment: the host reads it only from a variable and
 * refuses one written inline. inline: the host reads no variable, so the key is in the
 * configuration (--inline-key is required). typed: the host is set up in its UI, where the key is
 * typed in (shown with --inline-key, a placeholder otherwise).
 */
export type KeyPlacement = 'variable' | 'environment' | 'inline' | 'typed';

export interface HostFormat {
  host: Host;
  /** The host's name as people write it. */
  label: string;
  /** The file the document is (or goes into); null for a host set up in its UI. */
  fileName: string | null;
  /** Where the host reads that file by default, as a shell path (`~` for home), when it is one place on every system. */
  defaultPath?: string;
  /** form: the fields of the host's "add a server" form, one `Field: value` line each. */
  syntax: 'json' | 'yaml' | 'toml' | 'form';
  key: KeyPlacement;
  /** The key of the host's file that holds servers by name; null when there is no host file to merge into. */
  section: string | null;
  /** One server's entry under `section` (or, for the neutral and form hosts, its whole document). */
  entry(server: HostServer): Record<string, unknown>;
  /** VS Code: the input that asks for a server's key, when its entry refers to one. */
  input?(server: HostServer): HostInput | undefined;
}

/** A VS Code `inputs` element; `id` is what `${input:<id>}` names. */
export interface HostInput {
  id: string;
  [field: string]: unknown;
}
