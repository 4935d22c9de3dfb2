import { stringify as stringifyToml } from 'smol-toml';
import { stringify as stringifyYaml } from 'yaml';
import { FORMATS } from './host-formats.js';

export { vscodeInputId } from './host-formats.js';

import type { HostFormat, HostServer } from './host-types.js';
import type { Host } from './hosts.js';

export type { HostFormat, HostInput, HostServer, KeyPlacement } from './host-types.js';
export { HOSTS, type Host, isHost, keylessReason } from './hosts.js';

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
    return servers.length === 1 && only ? format.entry(only) : Object.fromEntries(servers.map((s) => [s.name, format.entry(s)]));
  }
  const inputs = servers.flatMap((s) => format.input?.(s) ?? []);
  return {
    [format.section]: Object.fromEntries(servers.map((s) => [s.name, format.entry(s)])),
    ...(inputs.length === 0 ? {} : { inputs }),
  };
}

/** The document as the text of its file (JSON with two-space indent, YAML, TOML or form lines), ending in a newline. */
export function documentText(format: HostFormat, servers: readonly HostServer[]): string {
  if (format.syntax === 'form') return `${servers.map((s) => formText(format.entry(s))).join('\n\n')}\n`;
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
