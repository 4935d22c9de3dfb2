import type { ConnectResult } from '../../ops/connect/connect.js';
import { HOST_FORMATS, hostDocument } from '../../ops/connect/host-configs.js';
import type { Host } from '../../ops/connect/hosts.js';
import { type ClientFailureJson, clientFailureJson, SCHEMA_VERSION, type SchemaVersion } from './common.js';

/** The document of `connect`: per client its URL, key variable, file and its own host configuration. */

export interface ConnectClientJson {
  client: string;
  url: string | null;
  /** override: --url; route: the config's route; target: the account's (or the local edge's) worker URL. */
  urlSource: 'override' | 'route' | 'target' | null;
  /** The variable the configuration refers to for the key. */
  envName: string;
  /** The key itself is in `config` (--inline-key only). */
  keyEmbedded: boolean;
  /** How the host signs in at this client: key (the bearer key in the configuration) or oauth (no credential in it). */
  auth: 'key' | 'oauth';
  authWhy: string;
  /** With --write: the file written and its mode, e.g. "0600"; into a host file, what became of the entry. */
  file: { path: string; mode: string; change?: 'added' | 'replaced' | 'unchanged' } | null;
  /** The host's configuration for this client alone, as the host reads it; null when the client failed. */
  config: Record<string, unknown> | null;
  error: ClientFailureJson | undefined;
}

/** `connect --json`. */
export interface ConnectJson {
  schemaVersion: SchemaVersion;
  ok: boolean;
  /** The --for host. */
  host: Host;
  /** The file the host reads the configuration from; null for a host set up in its UI (claude). */
  fileName: string | null;
  clients: ConnectClientJson[];
}

export function connectJson(result: ConnectResult, ok: boolean): ConnectJson {
  const format = HOST_FORMATS[result.host];
  const servers = new Map(result.servers.map((server) => [server.name, server]));
  return {
    schemaVersion: SCHEMA_VERSION,
    ok,
    host: result.host,
    fileName: format.fileName,
    clients: result.entries.map((entry) => {
      const server = servers.get(entry.client);
      return {
        client: entry.client,
        url: entry.url,
        urlSource: entry.urlSource,
        envName: entry.envName,
        keyEmbedded: entry.keyEmbedded && server !== undefined,
        auth: entry.auth,
        authWhy: entry.authWhy,
        file: entry.file
          ? { path: entry.file.path, mode: `0${entry.file.mode.toString(8)}`, ...(entry.file.change ? { change: entry.file.change } : {}) }
          : null,
        config: server ? hostDocument(format, [server]) : null,
        error: clientFailureJson(entry.error),
      };
    }),
  };
}
