import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { API_KEY, type Client, TEMPLATE_FILE } from '../../fleet/fleet.js';
import { readSecretsFile, secretsFileName } from '../../secrets/secrets-file.js';
import { usageError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/files.js';
import { commandLine } from '../../util/next-step.js';
import { type ClientOutcome, forEachClient } from '../fleet/runner.js';
import { clientModes } from '../identity/store.js';
import { missingSecretsHint } from '../secrets/preflight.js';
import { clientUrl, type UrlSource, type WorkerUrlSource } from '../verify/client-urls.js';
import { documentText, HOST_FORMATS, type Host, type HostServer, keyEnvName } from './host-configs.js';
import { type HostAuth, hostAuthFor } from './host-modes.js';
import type { EntryChange } from './merge-config.js';

/** A file written for one client: mode 0600 when it holds the key, 0644 when it only refers to it. */
export interface WrittenConfig {
  path: string;
  mode: number;
  /** --write <file>: what the merge did to this client's entry (unchanged: the file was left alone). */
  change?: EntryChange;
}

/** --write: a directory gets one file per client; a file gets every client's entry merged into it. */
export type WriteTarget = { kind: 'dir'; dir: string } | { kind: 'file'; path: string };

/** One client's connection, names and URLs only: the key never sits in a result. */
export interface ConnectEntry extends ClientOutcome {
  client: string;
  url: string | null;
  urlSource: UrlSource | null;
  /** The variable the configuration refers to for the key. */
  envName: string;
  secretsPath: string;
  keyEmbedded: boolean;
  /** How the host signs in at this client's worker, and why (from the client's modes and the host's documented behaviour). */
  auth: HostAuth;
  authWhy: string;
  file: WrittenConfig | null;
}

export interface ConnectResult {
  host: Host;
  entries: ConnectEntry[];
  /** The servers of the clients that succeeded, in order, for the documents (keys only under --inline-key). */
  servers: HostServer[];
}

export interface ConnectOptions {
  clients: readonly Client[];
  host: Host;
  inlineKey: boolean;
  target: WorkerUrlSource;
  overrides: ReadonlyMap<string, string>;
  /** --write (checked by the caller): `<dir>/<client>/<host's file name>`, or one host file merged into, only when every client succeeded. */
  write?: WriteTarget;
  concurrency: number;
}

/** Resolves each client's MCP URL (and, with --inline-key, its key) and writes its file when asked. */
export async function connectClients(options: ConnectOptions): Promise<ConnectResult> {
  const format = HOST_FORMATS[options.host];
  const servers = new Map<string, HostServer>();
  const entries = await forEachClient<ConnectEntry>({
    clients: options.clients,
    concurrency: options.concurrency,
    start: (client) => ({
      client: client.name,
      url: null,
      urlSource: null,
      envName: keyEnvName(client.name),
      secretsPath: client.secretsPath,
      keyEmbedded: options.inlineKey,
      auth: 'key',
      authWhy: '',
      file: null,
    }),
    work: async (client, result) => {
      const choice = hostAuthFor(options.host, clientModes(client));
      if (choice.mode === 'none')
        throw usageError(
          `${HOST_FORMATS[options.host].label} cannot reach ${client.name}: ${choice.why}`,
          `Offer OAuth, then deploy: ${commandLine('auth', client.name, [...new Set([...clientModes(client), 'oauth'])].join(','))} && ${commandLine('deploy', client.name)}`,
        );
      result.auth = choice.mode;
      result.authWhy = choice.why;
      const oauth = choice.mode === 'oauth';
      result.keyEmbedded = options.inlineKey && !oauth;
      const base = await clientUrl(client, options.target, options.overrides);
      result.url = `${base.url}/mcp`;
      result.urlSource = base.source;
      const server: HostServer = { name: client.name, url: result.url, envName: result.envName, ...(oauth ? { oauth } : {}) };
      if (options.inlineKey && !oauth) server.key = await readApiKey(client);
      if (options.write?.kind === 'dir') {
        if (format.fileName === null) throw usageError(`${format.label} is set up in its UI: there is no file to write`);
        const dir = join(options.write.dir, client.name);
        const mode = server.key !== undefined ? 0o600 : 0o644;
        // A directory that will hold a key is private too.
        await mkdir(dir, { recursive: true, mode: server.key !== undefined ? 0o700 : 0o755 });
        const path = join(dir, format.fileName);
        await writeFileAtomic(path, documentText(format, [server]), { mode });
        result.file = { path, mode };
      }
      servers.set(client.name, server);
    },
  });
  const done = entries.flatMap((entry) => servers.get(entry.client) ?? []);
  // A host file holds other servers: it is written whole or not at all, never with some clients missing.
  if (options.write?.kind === 'file' && done.length === entries.length) {
    const { writeHostFile } = await import('./host-file.js');
    const written = await writeHostFile(options.write.path, format, done, options.inlineKey);
    for (const entry of entries)
      entry.file = { path: written.path, mode: written.mode, change: written.changes.get(entry.client) ?? 'unchanged' };
  }
  return { host: options.host, entries, servers: done };
}

async function readApiKey(client: Client): Promise<string> {
  const name = secretsFileName(client.name);
  const file = await readSecretsFile(client.secretsPath, { displayName: name });
  if (!file)
    throw usageError(
      `${name} does not exist: there is no key to embed`,
      missingSecretsHint(join(dirname(client.secretsPath), TEMPLATE_FILE), client.secretsPath),
    );
  // The key as the file holds it, byte for byte; only an empty one is refused here.
  const key = file.values.get(API_KEY);
  if (key === undefined || key.trim() === '')
    throw usageError(
      `${name} has no ${API_KEY}: there is no key to embed`,
      `Generate one with: ${commandLine('secrets', 'rotate', client.name)}`,
    );
  return key;
}
