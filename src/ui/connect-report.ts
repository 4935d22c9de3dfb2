import pc from 'picocolors';
import type { ConnectResult } from '../ops/connect/connect.js';
import { HOST_FORMATS } from '../ops/connect/host-configs.js';
import { COMMON_AUTH_NOTE, hostNotes, keyEnvLines } from '../ops/connect/host-notes.js';
import { renderTable } from './table.js';

/**
 * What `connect` shows. The configuration itself (or the table of written files) is the result;
 * where it goes, how the host gets the key and what key-based auth can do there are guidance, for
 * stderr, so that `mcp-fleet connect acme --for cursor > mcp.json` writes a file that parses.
 */

/** Guidance for the person: where the file goes, how the key gets there, what the host's auth supports. */
export function renderConnectGuidance(result: ConnectResult, inlineKey: boolean): string {
  const format = HOST_FORMATS[result.host];
  const notes = hostNotes(result.host);
  const lines = [pc.bold(`${format.label}: ${notes.where}.`)];
  const done = result.entries.filter((entry) => !entry.error);
  if (inlineKey) {
    lines.push(
      pc.yellow(
        `The key is in the configuration: keep the file private (mode 0600), out of version control, and hand it over only to ${done.length === 1 ? 'that client' : 'each client, its own'}.`,
      ),
    );
  } else if (done.length > 0) {
    const [first] = result.servers;
    if (first) lines.push(notes.keyReference(first) + (done.length > 1 ? ' (likewise for each client).' : '.'));
    lines.push('The key stays out of the configuration. Set it where the host runs:');
    for (const entry of done) for (const line of keyEnvLines(entry.envName, entry.secretsPath)) lines.push(`  ${line}`);
  }
  lines.push('Key-based auth here:');
  for (const note of [...notes.auth, COMMON_AUTH_NOTE]) lines.push(`  - ${note}`);
  return lines.join('\n');
}

/** After --write: one row per client. */
export function renderWrittenConfigs(result: ConnectResult): string {
  const rows = result.entries.map((entry) => [
    entry.error ? pc.red('✖') : pc.green('✔'),
    entry.client,
    entry.file?.path ?? '-',
    entry.file ? `0${entry.file.mode.toString(8)}` : '-',
    entry.file ? (entry.keyEmbedded ? 'key embedded' : `refers to ${entry.envName}`) : 'failed',
  ]);
  return renderTable(['', 'CLIENT', 'FILE', 'MODE', 'KEY'], rows);
}
