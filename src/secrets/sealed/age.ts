import { armor, Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { usageError } from '../../util/errors.js';

/**
 * The age format (age-encryption.org/v1) through typage, the reference TypeScript implementation:
 * nothing cryptographic is written here. Sealed files are ASCII-armored, so they diff and merge
 * as text in git and survive tools that mangle binary files.
 */

/** Encrypts `text` to every recipient (any one identity opens it). */
export async function sealText(text: string, recipients: readonly string[]): Promise<string> {
  const encrypter = new Encrypter();
  for (const recipient of recipients) encrypter.addRecipient(recipient);
  return armor.encode(await encrypter.encrypt(text));
}

/** Decrypts a sealed file's text with whichever identity matches; bad input names the file, never a value. */
export async function unsealText(sealed: string, identities: readonly string[], file: string, identitySource: string): Promise<string> {
  return new TextDecoder().decode(await unsealBytes(sealed, identities, file, identitySource));
}

/** The sealed file's plaintext as bytes, for readers that validate their encoding themselves. */
export async function unsealBytes(
  sealed: string,
  identities: readonly string[],
  file: string,
  identitySource: string,
): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = armor.decode(sealed);
  } catch {
    throw usageError(
      `${file} is not an age-sealed file (no valid "BEGIN AGE ENCRYPTED FILE" armor)`,
      'Restore it from git, or seal it again: mcp-fleet secrets seal <client>.',
    );
  }
  const decrypter = new Decrypter();
  for (const identity of identities) decrypter.addIdentity(identity);
  try {
    return await decrypter.decrypt(bytes);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/no identity matched/i.test(message))
      throw usageError(
        `${file}: no identity from ${identitySource} can open it: it was not sealed for that key`,
        'Ask someone whose key it was sealed for to add yours (mcp-fleet recipients add <your age1… key>), or set MCP_FLEET_AGE_IDENTITY to an identity it was sealed for.',
      );
    throw usageError(`${file} could not be opened: ${message}`, 'Restore it from git, or seal it again: mcp-fleet secrets seal <client>.');
  }
}

/** Is `recipient` one age can encrypt to? (typage's own parser decides.) */
export function recipientProblem(recipient: string): string | undefined {
  try {
    new Encrypter().addRecipient(recipient);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Is `identity` one age can decrypt with? */
export function identityProblem(identity: string): string | undefined {
  try {
    new Decrypter().addIdentity(identity);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export async function newIdentity(): Promise<{ identity: string; recipient: string }> {
  const identity = await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity) };
}

export async function recipientOf(identity: string): Promise<string> {
  return identityToRecipient(identity);
}
