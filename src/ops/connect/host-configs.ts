import { stringify as stringifyToml } from 'smol-toml';
import { stringify as stringifyYaml } from 'yaml';
import { FORMATS } from './host-formats.js';

export { vscodeInputId } from './host-formats.js';

import type { HostFormat, HostServer } from './host-types.js';
import type { Host } from './hosts.js';

export type { HostFormat, HostInput, HostServer, KeyPlacement } from './host-types.js';
export { HOSTS, type Host, isHost, OAUTH_ONLY_HOSTS } from './hosts.js';

/**
 * The configuration each MCP host reads to reach a client's worker, as that host documents it
 * (checked 2026-11): pure functions from servers to a document, and the document's text. A key is
 * in a document only when the server carries one (--inline-key); otherwise the document refers to
 * an environment variable named after the client, in the host's own interpolation syntax.
 */

/** `acme-eu` → `MCP_FLEET_ACME_EU_API_KEY`: client names are lowercase letters, digits and dashes, so this is a valid variable name. */
export function keyEnvName(client: string): string {
  return `MCP_FLEET_${client.toUpperCase().replaceAll('-', '_')}_API_KEY`;
}

export const HOST_FORMATS: Readonly<Record<Host, HostFormat>> = FORMATS;

/** The servers as the host's document: `{ [section]: { name: entry }, inputs? }`, or the host's own shape. */
export function hostDocument(format: HostFormat, servers: readonly HostServer[]): Record<string, unknown> {
  if (format.section === null) {
    // One server: its entry; several: the same, by client name.
    const [only] = servers;
    return servers.length === 1 && only ? entryOf(format, only) : Object.fromEntries(servers.map((s) => [s.name, entryOf(format, s)]));
  }
  const inputs = servers.flatMap((s) => (s.oauth ? [] : (format.input?.(s) ?? [])));
  return {
    [format.section]: Object.fromEntries(servers.map((s) => [s.name, entryOf(format, s)])),
    ...(inputs.length === 0 ? {} : { inputs }),
  };
}

/** The document as the text of its file (JSON with two-space indent, YAML, TOML or form lines), ending in a newline. */
export function documentText(format: HostFormat, servers: readonly HostServer[]): string {
  if (format.syntax === 'form') return `${servers.map((s) => formText(entryOf(format, s))).join('\n\n')}\n`;
  const document = hostDocument(format, servers);
  if (format.syntax === 'yaml') return yamlText(document);
  if (format.syntax === 'toml') return tomlText(document);
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** YAML as mcp-fleet writes it: no folding, so a long URL or key stays on one line. */
export function yamlText(value: unknown, options: { indentSeq?: boolean; indent?: number } = {}): string {
  return stringifyYaml(value, { lineWidth: 0, indentSeq: options.indentSeq ?? true, indent: options.indent ?? 2 });
}

export function tomlText(value: Record<string, unknown>): string {
  return `${stringifyToml(value).trim()}\n`;
}

/** `Field: value` lines; nested objects (the headers) one line per name. */
function formText(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([field, value]) => `${field}: ${String(value)}`)
    .join('\n');
}

/** Fields through which an entry hands a host a credential; an OAuth entry has none of them. */
const CREDENTIAL_FIELDS = ['headers', 'bearer_token_env_var', 'env_keys', 'env', 'Request header', 'Header value'];

/**
 * A server's entry. For a host that signs in with OAuth it is the same entry without any
 * credential: the host finds the worker's OAuth metadata itself and opens its sign-in page
 * (mcp-remote too, once no --header is given).
 */
export function entryOf(format: HostFormat, server: HostServer): Record<string, unknown> {
  const entry = format.entry(server);
  if (!server.oauth) return entry;
  const bare: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(entry)) {
    if (CREDENTIAL_FIELDS.includes(field)) continue;
    bare[field] = field === 'args' && Array.isArray(value) ? withoutHeaderArgs(value) : value;
  }
  return format.syntax === 'form' ? { ...bare, Authentication: 'OAuth' } : bare;
}

function withoutHeaderArgs(args: readonly unknown[]): unknown[] {
  return args.filter((_, index) => args[index] !== '--header' && args[index - 1] !== '--header');
}
