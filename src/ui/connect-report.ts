import pc from 'picocolors';
import type { ConnectResult, WriteTarget } from '../ops/connect/connect.js';
import { HOST_FORMATS } from '../ops/connect/host-configs.js';
import { COMMON_AUTH_NOTE, hostNotes, keyEnvLines, keyShowLine, OAUTH_STEPS } from '../ops/connect/host-notes.js';
import { renderTable } from './table.js';

/**
 * What `connect` shows. The configuration itself (or the table of written files) is the result;
 * where it goes, how the host gets the key and what key-based auth can do there are guidance, for
 * stderr, so that stdout saved as a new file parses (merging into a host's existing file is
 * --write's job: a redirect would empty it).
 */

/** Guidance for the person: where the file goes, how the key gets there, what the host's auth supports. */
export function renderConnectGuidance(result: ConnectResult, inlineKey: boolean, mergeCommand?: string): string {
  const format = HOST_FORMATS[result.host];
  const notes = hostNotes(result.host);
  const lines = [pc.bold(`${format.label}: ${notes.where}.`)];
  if (mergeCommand !== undefined && result.servers.length > 0) {
    lines.push(`To merge it into that file, keeping every other server (a redirect would empty it): ${mergeCommand}`);
  }
  const reached = result.entries.filter((entry) => !entry.error);
  const oauth = reached.filter((entry) => entry.auth === 'oauth');
  const done = reached.filter((entry) => entry.auth === 'key');
  const whom = done.length === 1 ? 'that client' : 'each client, its own';
  if (done.length === 0) {
    // Nobody here uses the key: nothing to say about where it goes.
  } else if (inlineKey && format.key === 'typed') {
    lines.push(pc.yellow(`The key is printed above: enter it in the form, and hand it over only to ${whom}.`));
  } else if (inlineKey) {
    lines.push(
      pc.yellow(
        `The key is in the configuration: keep the file private (mode 0600), out of version control, and hand it over only to ${whom}.`,
      ),
    );
  } else if (format.key === 'typed' && done.length > 0) {
    const [first] = result.servers.filter((server) => !server.oauth);
    if (first) lines.push(notes.keyReference(first) + (done.length > 1 ? ' (likewise for each client).' : '.'));
    lines.push('On this machine, each key is API_KEY in its secrets file:');
    for (const entry of done) lines.push(`  ${keyShowLine(entry.secretsPath)}`);
  } else if (done.length > 0) {
    const [first] = result.servers.filter((server) => !server.oauth);
    if (first) lines.push(notes.keyReference(first) + (done.length > 1 ? ' (likewise for each client).' : '.'));
    lines.push('The key stays out of the configuration. Set it where the host runs:');
    for (const entry of done) for (const line of keyEnvLines(entry.envName, entry.secretsPath)) lines.push(`  ${line}`);
  }
  // A host that connects from its vendor's cloud cannot reach this machine.
  const unreachable = format.key === 'typed' ? result.servers.filter((server) => !isPublicHttps(server.url)) : [];
  if (unreachable.length > 0) {
    lines.push(
      pc.yellow(
        `${unreachable.map((server) => server.url).join(', ')}: not a public https URL, which ${format.label} cannot reach from its cloud.`,
      ),
    );
  }
  if (oauth.length > 0) {
    lines.push(
      `Signs in with OAuth (no key in the configuration): ${oauth.map((entry) => `${entry.client} (${entry.authWhy})`).join('; ')}.`,
    );
    for (const step of OAUTH_STEPS) lines.push(`  - ${step}`);
  }
  lines.push('Auth here:');
  for (const note of [...notes.auth, COMMON_AUTH_NOTE]) lines.push(`  - ${note}`);
  return lines.join('\n');
}

/** After --write: one row per client; into a host file, what became of each entry. */
export function renderWrittenConfigs(result: ConnectResult, write: WriteTarget): string {
  const merged = write.kind === 'file';
  const rows = result.entries.map((entry) => [
    entry.error ? pc.red('✖') : pc.green('✔'),
    entry.client,
    entry.file?.path ?? '-',
    entry.file ? `0${entry.file.mode.toString(8)}` : '-',
    entry.file ? (entry.keyEmbedded ? 'key embedded' : `refers to ${entry.envName}`) : entry.error ? 'failed' : 'not written',
    ...(merged ? [entry.file?.change ?? '-'] : []),
  ]);
  const table = renderTable(['', 'CLIENT', 'FILE', 'MODE', 'KEY', ...(merged ? ['ENTRY'] : [])], rows);
  const failed = result.entries.filter((entry) => entry.error).length;
  if (!merged || failed === 0) return table;
  // A host file is written whole or not at all.
  return `${table}
${pc.yellow(`Nothing was written to ${write.path}: ${failed === 1 ? 'a client' : `${failed} clients`} failed, and the file gets every entry or none.`)}`;
}

function isPublicHttps(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === 'https:' && !/(^|\.)localhost$|^127\.|^\[::1\]$|^10\.|^192\.168\./.test(hostname);
}
