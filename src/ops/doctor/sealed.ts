import { lstat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { loadIdentities } from '../../secrets/sealed/identity.js';
import { RECIPIENTS_FILE, readRecipients } from '../../secrets/sealed/recipients.js';
import { sealedPathOf } from '../../secrets/secrets-file.js';
import { isFleetError } from '../../util/errors.js';
import { commandLine } from '../../util/next-step.js';
import { sealState, straySealedFiles } from '../secrets/seal.js';
import { type DoctorCheck, fail, ok, warn } from './checks.js';

/**
 * Sealed secrets (docs/secrets.md): the recipients file parses, an identity here opens the sealed
 * files (a client with only a sealed copy needs one), and each plain file agrees with its sealed copy.
 * A project that seals nothing gets no lines here.
 */
export async function sealedChecks(fleet: Fleet): Promise<DoctorCheck[]> {
  const title = 'sealed secrets';
  const sealed = [];
  for (const client of fleet.clients)
    if ((await lstat(sealedPathOf(client.secretsPath)).catch(() => undefined)) !== undefined) sealed.push(client);
  let recipients: Awaited<ReturnType<typeof readRecipients>>;
  try {
    recipients = await readRecipients(fleet.dir);
  } catch (error) {
    return [
      fail(
        'sealed.recipients',
        title,
        isFleetError(error) ? error.message : String(error),
        isFleetError(error) && error.hint ? error.hint : `Fix ${RECIPIENTS_FILE}`,
      ),
    ];
  }
  if (sealed.length === 0 && recipients === undefined) return [];
  const checks: DoctorCheck[] = [];
  checks.push(
    recipients && recipients.length > 0
      ? ok('sealed.recipients', title, `${RECIPIENTS_FILE}: ${recipients.length} recipient(s)`)
      : fail(
          'sealed.recipients',
          title,
          `${RECIPIENTS_FILE} ${recipients ? 'names no recipient' : 'does not exist'}, and ${sealed.length} client(s) are sealed`,
          'mcp-fleet recipients add <age1…> --name <who>',
        ),
  );
  let identity: Awaited<ReturnType<typeof loadIdentities>>;
  try {
    identity = await loadIdentities();
  } catch (error) {
    return [
      ...checks,
      fail(
        'sealed.identity',
        title,
        isFleetError(error) ? error.message : String(error),
        'Fix the identity it names, or unset the variable',
      ),
    ];
  }
  const states = await Promise.all(fleet.clients.map(async (client) => ({ client, state: await sealState(client) })));
  const sealedOnly = states.filter((entry) => entry.state === 'sealed-only').map((entry) => entry.client.name);
  if (!identity && sealed.length > 0) {
    const detail = `no age identity here opens the sealed files${sealedOnly.length > 0 ? `; ${sealedOnly.join(', ')} ha${sealedOnly.length === 1 ? 's' : 've'} no plain file, so every command that needs their secrets exits 2` : ''}`;
    const fix =
      'Set MCP_FLEET_AGE_IDENTITY (CI) or MCP_FLEET_AGE_IDENTITY_FILE, or put your key in ~/.config/mcp-fleet/age-identity.txt (mcp-fleet recipients keygen)';
    checks.push(sealedOnly.length > 0 ? fail('sealed.identity', title, detail, fix) : warn('sealed.identity', title, detail, fix));
  } else if (identity) checks.push(ok('sealed.identity', title, `an identity from ${identity.source}`));
  const stray = await straySealedFiles(fleet);
  if (stray.length > 0)
    checks.push(
      fail(
        'sealed.stray',
        title,
        `${stray.join(', ')}: sealed secrets of no client in the config`,
        `git rm ${stray.join(' ')} (or mcp-fleet restore <client>)`,
      ),
    );
  for (const { client, state } of states) {
    const file = basename(client.secretsPath);
    if (state === 'differs')
      checks.push(
        fail(
          `sealed.${client.name}`,
          title,
          `${file} differs from ${file}.age: an edit not sealed (or a seal not unsealed)`,
          `${commandLine('secrets', 'seal', client.name)}, or take the sealed copy: ${commandLine('secrets', 'unseal', client.name, '--force')}`,
        ),
      );
    else if (state === 'plain-only' && sealed.length > 0)
      checks.push(
        warn(
          `sealed.${client.name}`,
          title,
          `${file} has no sealed copy: it lives on this disk alone`,
          commandLine('secrets', 'seal', client.name),
        ),
      );
  }
  return checks;
}
