import type { SecretSource, VarSource } from './add-values.js';

/** What `add` did, by name and path: never a value. */
export interface AddResult {
  client: string;
  /** The top-level worker made a client (`--default`). */
  default: boolean;
  worker: string;
  /** null when the top-level worker binds no ANALYTICS dataset of its own (its metrics are then unavailable). */
  dataset: string | null;
  /** What was added to the config, as paths. */
  configAdded: string[];
  /** --adopt of an existing env section: the config was not touched. */
  keptSection: boolean;
  /** What upgrade-config would add to that kept section. */
  sectionLacks: string[];
  secretsFile: string;
  /** In a project that seals its secrets (.secrets-recipients): the sealed copy add wrote beside it, to commit. */
  sealedFile: string | null;
  /** Where each key's value came from; never the values. */
  sources: Record<string, SecretSource>;
  missing: string[];
  /** Where each setting of .vars.template came from, and those left unset (not written). */
  vars: Record<string, VarSource>;
  varsNotSet: string[];
  /** Whether the worker already ran on the target: null when that was not needed or not known. */
  workerExists: boolean | null;
  /** Why it was not known, when add needed to know (no target to ask). */
  workerUnknown: string | null;
  /** --new-key gave a worker that runs a new key: its callers need it from the next deploy on. */
  replacedLiveKey: boolean;
  backup: string | undefined;
  /** Given again: an earlier add of this client was killed after it had written everything. */
  resumed: boolean;
}
