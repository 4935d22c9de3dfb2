import type { AddResult } from '../../ops/project/add.js';
import type { WorkflowWrite } from '../../ops/project/ci-github.js';
import type { DeleteWorkerResult } from '../../ops/project/delete-worker.js';
import type { InitResult } from '../../ops/project/init.js';
import type { ClientListing } from '../../ops/project/list.js';
import type { RemoveResult } from '../../ops/project/remove.js';
import type { RestoreResult } from '../../ops/project/restore.js';
import type { ConfigUpgrade } from '../../ops/project/upgrade-config.js';
import { SCHEMA_VERSION, type SchemaVersion } from './common.js';
import type { DeployJson } from './deploy.js';

/** The documents of init, add, remove, restore, upgrade-config and list: what changed in the project, by path and name (never a value). */

/** `init --json`. */
export interface InitJson {
  schemaVersion: SchemaVersion;
  dir: string;
  name: string | undefined;
  adopted: boolean;
  /** Files written, relative to dir. */
  created: string[];
  deps: 'link' | 'install' | 'none';
  /** Adopted: the clients found. */
  clients: string[] | undefined;
  /** Adopted: the top-level worker, whether it is a client, and whether `add <name> --default` could make it one. */
  topLevel: { name: string; client: boolean; canBeClient: boolean } | undefined;
  /** Adopted: the env clients without a secrets file yet (`add <client> --adopt` makes one). */
  withoutSecrets: string[] | undefined;
  /** With --ci: the workflow file (relative to dir) and whether it was created, replaced or already so. */
  ci: { path: string; outcome: 'created' | 'unchanged' | 'replaced' } | undefined;
}

export function initJson(result: InitResult, ci?: WorkflowWrite): InitJson {
  const top = result.topLevel;
  return {
    schemaVersion: SCHEMA_VERSION,
    dir: result.dir,
    name: result.name,
    adopted: result.adopted,
    created: [...result.created],
    deps: result.deps,
    clients: result.clients ? [...result.clients] : undefined,
    topLevel: top ? { name: top.name, client: top.client, canBeClient: top.canBeClient } : undefined,
    withoutSecrets: result.withoutSecrets ? [...result.withoutSecrets] : undefined,
    ci: ci ? { path: ci.path, outcome: ci.outcome } : undefined,
  };
}

/** `init --ci github` in an existing project: only the workflow. */
export interface CiWorkflowJson {
  schemaVersion: SchemaVersion;
  ok: true;
  dir: string;
  ci: { path: string; outcome: 'created' | 'unchanged' | 'replaced' };
  /** What the workflow needs that the project lacks (mcp-fleet in devDependencies, a package-lock.json for npm ci). */
  notes: string[];
}

export function ciWorkflowJson(dir: string, write: WorkflowWrite, notes: readonly string[]): CiWorkflowJson {
  return { schemaVersion: SCHEMA_VERSION, ok: true, dir, ci: { path: write.path, outcome: write.outcome }, notes: [...notes] };
}

/** Where a secret's value came from (the value itself is never in a document). */
export type SecretSourceJson = 'generated' | 'flag' | 'env' | 'prompt' | 'missing';

/** Where a setting of .vars.template came from (settings are not secret, but documents carry none). */
export type VarSourceJson = 'flag' | 'env' | 'prompt' | 'default' | 'missing';

/** `add --json`. */
export interface AddJson {
  schemaVersion: SchemaVersion;
  client: string;
  /** The top-level worker made a client (`--default`). */
  default: boolean;
  worker: string;
  /** null when the top-level worker binds no ANALYTICS dataset of its own. */
  dataset: string | null;
  /** What was added to the config, as paths. */
  configAdded: string[];
  secretsFile: string;
  /** The sealed copy add wrote (a project with .secrets-recipients), or null. */
  sealedFile: string | null;
  sources: Record<string, SecretSourceJson>;
  missing: string[];
  /** --adopt of an existing env section: the config was not touched (configAdded is empty). */
  keptSection: boolean;
  /** What `upgrade-config` would add to that kept section. */
  sectionLacks: string[];
  /** Settings of .vars.template written into the new section's vars, by source; varsNotSet were left out. */
  vars: Record<string, VarSourceJson>;
  varsNotSet: string[];
  /** Whether the worker already ran on the target (then its key was kept); null when not needed or not known. */
  workerExists: boolean | null;
  /** Why that was not known when API_KEY was generated (no target to ask). */
  workerUnknown: string | null;
  /** --new-key gave a running worker a new key: its callers need it from the next deploy on. */
  replacedLiveKey: boolean;
  /** An earlier add of this client, killed after it had written everything, is reported again. */
  resumed: boolean;
  /** The previous secrets file, kept (--force). */
  backup: string | undefined;
  /** With --deploy: the deploy's own document. */
  deploy: DeployJson | undefined;
}

export function addJson(result: AddResult, deploy?: DeployJson): AddJson {
  return {
    schemaVersion: SCHEMA_VERSION,
    client: result.client,
    default: result.default,
    worker: result.worker,
    dataset: result.dataset,
    configAdded: [...result.configAdded],
    secretsFile: result.secretsFile,
    sealedFile: result.sealedFile,
    sources: Object.fromEntries(Object.entries(result.sources)),
    missing: [...result.missing],
    keptSection: result.keptSection,
    sectionLacks: [...result.sectionLacks],
    vars: Object.fromEntries(Object.entries(result.vars)),
    varsNotSet: [...result.varsNotSet],
    workerExists: result.workerExists,
    workerUnknown: result.workerUnknown,
    replacedLiveKey: result.replacedLiveKey,
    resumed: result.resumed,
    backup: result.backup,
    deploy,
  };
}

/** `remove --json`. */
export interface RemoveJson {
  schemaVersion: SchemaVersion;
  client: string;
  /** True when the client had been removed from the config before: only its worker was deleted now. */
  alreadyRemoved: boolean;
  /** Where the secrets file was kept (recoverable); undefined when there was none. */
  secretsKeptAt: string | undefined;
  /** Where its sealed copy was kept (it left the project: commit that); undefined when it had none. */
  sealedKeptAt: string | undefined;
  /** The removal record (its worker and env section as written), from which `restore` brings the client back. */
  recordKeptAt: string | undefined;
  /** When the secrets file was a symbolic link: where it pointed (its content was kept, the link removed, the target left alone). */
  secretsLinkedTo: string | undefined;
  /** False for the top-level worker: its settings stay. */
  configChanged: boolean;
  /** --keep-worker: the worker was left serving, its key still opens it. */
  workerKept: boolean;
  /** With --delete-worker. */
  worker: { worker: string; outcome: 'deleted' | 'absent' } | undefined;
}

export function removeJson(result: RemoveResult, worker: DeleteWorkerResult | undefined, workerKept: boolean): RemoveJson {
  return {
    schemaVersion: SCHEMA_VERSION,
    client: result.client,
    alreadyRemoved: false,
    secretsKeptAt: result.secretsKeptAt,
    sealedKeptAt: result.sealedKeptAt,
    recordKeptAt: result.recordKeptAt,
    secretsLinkedTo: result.secretsLinkedTo,
    configChanged: result.configChanged,
    workerKept,
    worker: worker ? { worker: worker.worker, outcome: worker.outcome } : undefined,
  };
}

/** `remove <client> --delete-worker --json` for a client removed from the config earlier. */
export function removedWorkerJson(client: string, worker: DeleteWorkerResult): RemoveJson {
  return {
    schemaVersion: SCHEMA_VERSION,
    client,
    alreadyRemoved: true,
    secretsKeptAt: undefined,
    sealedKeptAt: undefined,
    recordKeptAt: undefined,
    secretsLinkedTo: undefined,
    configChanged: false,
    workerKept: false,
    worker: { worker: worker.worker, outcome: worker.outcome },
  };
}

/** `restore --json`. */
export interface RestoreJson {
  schemaVersion: SchemaVersion;
  client: string;
  worker: string;
  /** exact: the config is as before the removal; appended: the section as written is the last env section; new: written as add writes it (nothing was kept of it); top-level: its settings never left. */
  section: 'exact' | 'appended' | 'new' | 'top-level';
  /** The secrets file brought back; undefined when the client had none. */
  secretsFile: string | undefined;
  /** Its sealed copy brought back; undefined when none was kept. */
  sealedFile: string | undefined;
  /** The removal it came from (its file stamp). */
  removal: string;
}

export function restoreJson(result: RestoreResult): RestoreJson {
  return {
    schemaVersion: SCHEMA_VERSION,
    client: result.client,
    worker: result.worker,
    section: result.section,
    secretsFile: result.secretsFile,
    sealedFile: result.sealedFile,
    removal: result.removal,
  };
}

/** `upgrade-config --json`: ok is false when --check found a section lacking something. */
export interface UpgradeConfigJson {
  schemaVersion: SchemaVersion;
  ok: boolean;
  /** Whether the config changed (with --check: would change). */
  changed: boolean;
  clients: { client: string; section: string; added: string[] }[];
}

export function upgradeConfigJson(result: ConfigUpgrade, ok: boolean): UpgradeConfigJson {
  return {
    schemaVersion: SCHEMA_VERSION,
    ok,
    changed: result.changed,
    clients: result.clients.map((entry) => ({ client: entry.client, section: entry.section, added: [...entry.added] })),
  };
}

/** One client of `list --json`. The document is an array of these, so each carries the schema version. */
export interface ListClientJson {
  schemaVersion: SchemaVersion;
  client: string;
  /** The wrangler env that deploys it; null for the top-level worker. */
  env: string | null;
  worker: string;
  dataset: string | null;
  /** null without --local or a token (list then stays offline). */
  url: string | null;
  /** The modes its worker accepts: key, oauth, jwt. */
  auth: string[];
  secrets: {
    file: 'present' | 'absent' | 'invalid';
    missing: string[];
    empty: string[];
    /** Why the file does not parse (invalid). */
    error: string | undefined;
  };
}

/** `list --json`. */
export type ListJson = ListClientJson[];

export function listJson(listing: readonly ClientListing[]): ListJson {
  return listing.map((entry) => ({
    schemaVersion: SCHEMA_VERSION,
    client: entry.client,
    env: entry.env,
    worker: entry.worker,
    dataset: entry.dataset,
    url: entry.url,
    auth: [...entry.auth],
    secrets: {
      file: entry.secrets.file,
      missing: [...entry.secrets.missing],
      empty: [...entry.secrets.empty],
      error: entry.secrets.error,
    },
  }));
}
