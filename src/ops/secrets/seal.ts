import { lstat, readdir } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Client, Fleet } from '../../fleet/fleet.js';
import { ensureIgnored } from '../../secrets/git-guard.js';
import { unsealText } from '../../secrets/sealed/age.js';
import { loadIdentities } from '../../secrets/sealed/identity.js';
import { requireRecipients } from '../../secrets/sealed/recipients.js';
import { readSecretsFile, sealedPathOf, writeSealedText, writeSecretsText } from '../../secrets/secrets-file.js';
import { usageError } from '../../util/errors.js';
import { readFileIfExists } from '../../util/files.js';
import { commandLine } from '../../util/next-step.js';
import type { ClientProgress, ProgressListener } from '../fleet/progress.js';
import { type ClientOutcome, forEachClient } from '../fleet/runner.js';

/**
 * Sealed secrets: `.secrets.<client>.age`, the client's secrets file encrypted to the team's
 * recipients (`.secrets-recipients`), committed so that the secrets survive a laptop and reach CI.
 * Every command that reads a client's secrets reads the sealed copy in memory when the plain file is
 * absent (secrets-file.ts); a write to a plain file that has a sealed copy updates both.
 */

/** How a client's plain file and its sealed copy compare. */
export type SealState = 'in-sync' | 'differs' | 'plain-only' | 'sealed-only' | 'neither' | 'unknown';

export const GIT_SEALED_LINE = '!.secrets.*.age';

export interface SealResult extends ClientOutcome {
  client: string;
  sealedFile: string;
  /** sealed: written now; unchanged: the sealed copy already held the same text for the same recipients. */
  action: 'sealed' | 'unchanged' | 'unsealed';
}

/** Does the sealed copy hold exactly `text`? undefined when no identity here can tell. */
async function sealedHolds(client: Client, text: string): Promise<boolean | undefined> {
  const sealed = await readFileIfExists(sealedPathOf(client.secretsPath));
  if (sealed === undefined) return false;
  const found = await loadIdentities();
  if (!found) return undefined;
  try {
    return (await unsealText(sealed, found.identities, basename(sealedPathOf(client.secretsPath)), found.source)) === text;
  } catch {
    return undefined;
  }
}

export interface SealOptions {
  fleet: Fleet;
  clients: readonly Client[];
  /** Seal again even when the sealed copy holds the same text (after the recipients changed). */
  force?: boolean;
  /** Re-seal what the sealed copy holds (recipients add/remove), not the plain file. */
  fromSealed?: boolean;
  onProgress?: ProgressListener | undefined;
}

/** Seals each client's plain file; unchanged text is not sealed again, so git sees no churn. */
export async function sealSecrets(options: SealOptions): Promise<SealResult[]> {
  const { fleet } = options;
  await requireRecipients(fleet.dir);
  // Sealed copies are committed while the plain files stay ignored: the negation goes after `.secrets.*`.
  await ensureIgnored(fleet.dir, [GIT_SEALED_LINE], '# mcp-fleet: sealed copies (secrets seal) are encrypted: they are committed');
  return eachClient(options, async (client, result, progress) => {
    const name = basename(client.secretsPath);
    if (options.fromSealed) {
      const sealed = await readSecretsFile(sealedPathOf(client.secretsPath), { displayName: result.sealedFile });
      if (!sealed) return;
      await writeSealedText(sealedPathOf(client.secretsPath), sealed.text);
      result.action = 'sealed';
      progress('done', `sealed again to ${result.sealedFile}`);
      return;
    }
    const plain = (await lstat(client.secretsPath).catch(() => undefined)) !== undefined;
    const file = await readSecretsFile(client.secretsPath, { displayName: name });
    if (!file) throw usageError(`${name} does not exist: there is nothing to seal`, `Make it first: ${commandLine('add', client.name)}`);
    if (!plain && !options.force) {
      progress('skipped', `only the sealed copy exists: nothing newer to seal`);
      return;
    }
    if (!options.force && (await sealedHolds(client, file.text)) === true) {
      progress('done', `${result.sealedFile} already holds it`);
      return;
    }
    await writeSealedText(sealedPathOf(client.secretsPath), file.text);
    result.action = 'sealed';
    progress('done', `sealed to ${result.sealedFile}`);
  });
}

/** Writes each sealed copy to the plain 0600 file; a plain file that differs is kept unless `force`. */
export async function unsealSecrets(options: SealOptions): Promise<SealResult[]> {
  return eachClient(options, async (client, result, progress) => {
    const name = basename(client.secretsPath);
    const sealed = await readSecretsFile(sealedPathOf(client.secretsPath), { displayName: result.sealedFile });
    if (!sealed)
      throw usageError(
        `${result.sealedFile} does not exist: there is nothing to unseal`,
        `Seal it first: ${commandLine('secrets', 'seal', client.name)}`,
      );
    const plain = await readSecretsFile(client.secretsPath, { displayName: name });
    if (plain && plain.sealedPath === undefined) {
      if (plain.text === sealed.text) {
        progress('done', `${name} already holds it`);
        return;
      }
      if (!options.force)
        throw usageError(
          `${name} differs from ${result.sealedFile}; nothing was written`,
          `Keep ${name} and seal it (${commandLine('secrets', 'seal', client.name)}), or overwrite it with the sealed copy (${commandLine('secrets', 'unseal', client.name, '--force')}).`,
        );
    }
    await writeSecretsText(client.secretsPath, sealed.text, name);
    result.action = 'unsealed';
    progress('done', `${name} written (0600)`);
  });
}

/** Seal and unseal alike: each client at most 4 at a time, one line each, starting as unchanged. */
function eachClient(
  options: SealOptions,
  work: (client: Client, result: SealResult, progress: ClientProgress) => Promise<void>,
): Promise<SealResult[]> {
  return forEachClient<SealResult>({
    clients: options.clients,
    concurrency: 4,
    onProgress: options.onProgress,
    start: (client) => ({ client: client.name, sealedFile: basename(sealedPathOf(client.secretsPath)), action: 'unchanged' }),
    work,
  });
}

/** Plain vs sealed for one client (names and equality only, never values). */
export async function sealState(client: Client): Promise<SealState> {
  const plainText = await readFileIfExists(client.secretsPath);
  const hasSealed = (await lstat(sealedPathOf(client.secretsPath)).catch(() => undefined)) !== undefined;
  if (plainText === undefined) return hasSealed ? 'sealed-only' : 'neither';
  if (!hasSealed) return 'plain-only';
  const same = await sealedHolds(client, plainText);
  return same === undefined ? 'unknown' : same ? 'in-sync' : 'differs';
}

/** `.secrets.<name>.age` files whose name is no client's (a removed client, a typo): bad input, named. */
export async function straySealedFiles(fleet: Fleet): Promise<string[]> {
  const known = new Set(fleet.clients.map((client) => basename(sealedPathOf(client.secretsPath))));
  const names = await readdir(fleet.dir).catch(() => [] as string[]);
  return names.filter((name) => /^\.secrets\..+\.age$/.test(name) && !known.has(name)).sort();
}

export async function refuseStraySealedFiles(fleet: Fleet): Promise<void> {
  const stray = await straySealedFiles(fleet);
  if (stray.length === 0) return;
  throw usageError(
    `${stray.join(', ')} ${stray.length === 1 ? 'is a sealed secrets file of no client' : 'are sealed secrets files of no client'} in ${basename(fleet.configPath)}; nothing was changed`,
    `Remove ${stray.length === 1 ? 'it' : 'them'} (git rm ${stray.join(' ')}), or bring the client back (mcp-fleet restore <client>) first.`,
  );
}
