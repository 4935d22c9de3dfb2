import type { RecipientsChange } from '../../ops/secrets/recipients.js';
import type { SealResult } from '../../ops/secrets/seal.js';
import type { RecipientEntry } from '../../secrets/sealed/recipients.js';
import { type ClientFailureJson, clientFailureJson, type FleetJson, fleetJson, SCHEMA_VERSION, type SchemaVersion } from './common.js';

/** `secrets seal --json` and `secrets unseal --json`: file names and what was done, never a value. */
export interface SealClientJson {
  client: string;
  sealedFile: string;
  action: 'sealed' | 'unchanged' | 'unsealed';
  error: ClientFailureJson | undefined;
}

export function sealJson(results: readonly SealResult[], ok: boolean): FleetJson<SealClientJson> {
  return fleetJson(results, ok, (result) => ({
    client: result.client,
    sealedFile: result.sealedFile,
    action: result.action,
    error: clientFailureJson(result.error),
  }));
}

export interface RecipientJson {
  recipient: string;
  label: string | undefined;
}

/** `recipients list|add|remove --json`. */
export interface RecipientsJson {
  schemaVersion: SchemaVersion;
  ok: boolean;
  recipients: RecipientJson[];
  /** add/remove: the recipient changed (undefined when add found it listed already). */
  changed?: RecipientJson | undefined;
  /** add/remove: the clients sealed again. */
  resealed?: string[];
}

function recipientJson(entry: Pick<RecipientEntry, 'recipient' | 'label'>): RecipientJson {
  return { recipient: entry.recipient, label: entry.label };
}

export function recipientsJson(recipients: readonly RecipientEntry[], change?: RecipientsChange): RecipientsJson {
  return {
    schemaVersion: SCHEMA_VERSION,
    ok: change ? change.resealed.every((result) => !result.error) : true,
    recipients: recipients.map(recipientJson),
    ...(change
      ? {
          changed: change.changed ? recipientJson(change.changed) : undefined,
          resealed: change.resealed.filter((result) => !result.error).map((result) => result.client),
        }
      : {}),
  };
}

/** `recipients keygen --json`: where the identity is and its public recipient (never the identity). */
export interface KeygenJson {
  schemaVersion: SchemaVersion;
  ok: true;
  path: string;
  recipient: string;
}

export function keygenJson(path: string, recipient: string): KeygenJson {
  return { schemaVersion: SCHEMA_VERSION, ok: true, path, recipient };
}
