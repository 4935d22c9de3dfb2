import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { exists, writeFileAtomic } from '../util/files.js';
import { ensureStateDir, statePaths } from '../util/state-dir.js';

/**
 * The local edge's persisted state, under `.mcp-fleet/local/state/` (0700):
 *
 *   identity.json                 account id and API token, generated once (0600)
 *   tokens.json                   further API tokens made through POST /user/tokens, with their permissions (0600)
 *   scripts/<name>/script.json    the worker: versions, deployments, settings (0600)
 *   scripts/<name>/secrets.json   secret values per version (0600)
 *   scripts/<name>/modules/<sha>  module contents, content-addressed (0600)
 *
 * Everything is held in memory as well; every mutation writes through atomically.
 * Mutations are serialised with exclusive().
 */

export const MODULE_TYPES = ['esm', 'cjs', 'text', 'data', 'wasm', 'json', 'sourcemap', 'python', 'python-requirement'] as const;
export type ModuleType = (typeof MODULE_TYPES)[number];

const ModuleRefSchema = z.object({
  name: z.string(),
  type: z.enum(MODULE_TYPES),
  contentType: z.string(),
  hash: z.string(),
  size: z.number(),
});
export type ModuleRef = z.infer<typeof ModuleRefSchema>;

/** A binding as stored: secret_text bindings carry no value here (values live in secrets.json). */
const BindingSchema = z.looseObject({ type: z.string(), name: z.string() });
export type Binding = z.infer<typeof BindingSchema>;

const VersionSchema = z.object({
  id: z.string(),
  number: z.number(),
  created_on: z.string(),
  source: z.string(),
  author_email: z.string(),
  annotations: z.record(z.string(), z.string()),
  main_module: z.string(),
  compatibility_date: z.string(),
  compatibility_flags: z.array(z.string()),
  usage_model: z.string(),
  modules: z.array(ModuleRefSchema),
  bindings: z.array(BindingSchema),
});
export type VersionRecord = z.infer<typeof VersionSchema>;

const DeploymentSchema = z.object({
  id: z.string(),
  created_on: z.string(),
  source: z.string(),
  strategy: z.literal('percentage'),
  author_email: z.string(),
  annotations: z.record(z.string(), z.string()),
  versions: z.array(z.object({ version_id: z.string(), percentage: z.number() })),
});
export type DeploymentRecord = z.infer<typeof DeploymentSchema>;

const ScriptSchema = z.object({
  name: z.string(),
  tag: z.string(),
  etag: z.string(),
  created_on: z.string(),
  modified_on: z.string(),
  last_deployed_from: z.string(),
  tags: z.array(z.string()),
  logpush: z.boolean(),
  observability: z.unknown(),
  tail_consumers: z.unknown(),
  placement: z.unknown(),
  subdomain: z.object({ enabled: z.boolean(), previews_enabled: z.boolean() }),
  /** Newest first. */
  versions: z.array(VersionSchema),
  /** Newest first; [0] is what runs. */
  deployments: z.array(DeploymentSchema),
});
export type ScriptRecord = z.infer<typeof ScriptSchema>;

/** Secret values per version id. */
const SecretsSchema = z.record(z.string(), z.record(z.string(), z.string()));
export type SecretsByVersion = z.infer<typeof SecretsSchema>;

const IdentitySchema = z.object({ accountId: z.string().regex(/^[0-9a-f]{32}$/), token: z.string().min(20) });
export type EdgeIdentity = z.infer<typeof IdentitySchema>;

/** A token made through the API: its value, and the permission groups (by name) it was given. */
const TokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  value: z.string().min(20),
  issued_on: z.string(),
  permissions: z.array(z.string()),
});
export type TokenRecord = z.infer<typeof TokenSchema>;
const TokensSchema = z.array(TokenSchema);

/** Versions kept per script: Cloudflare keeps (and a rollback reaches) the 100 most recent. */
export const MAX_VERSIONS = 100;
export const MAX_DEPLOYMENTS = 10;

export interface NewModule {
  name: string;
  type: ModuleType;
  contentType: string;
  contents: Uint8Array;
}

export class EdgeStore {
  private readonly scripts = new Map<string, ScriptRecord>();
  private readonly secrets = new Map<string, SecretsByVersion>();
  private readonly moduleCache = new Map<string, Uint8Array>();
  /** Tokens besides identity.token (which may do everything). */
  private tokenRecords: TokenRecord[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly projectDir: string,
    readonly stateDir: string,
    readonly identity: EdgeIdentity,
    private readonly beforeWrite: () => Promise<void>,
  ) {}

  /**
   * Opens (or creates) the project's edge state directory and loads every script. `beforeWrite`
   * runs before every write and throws to prevent it (the edge's project has moved: project-anchor.ts).
   */
  static async open(projectDir: string, options: { beforeWrite?: () => Promise<void> } = {}): Promise<EdgeStore> {
    const beforeWrite = options.beforeWrite ?? (() => Promise.resolve());
    const stateDir = statePaths.localEdgeState(projectDir);
    await beforeWrite();
    await ensureStateDir(projectDir, join(stateDir, 'scripts'));
    const store = new EdgeStore(projectDir, stateDir, await loadIdentity(stateDir), beforeWrite);
    for (const entry of await readdir(join(stateDir, 'scripts'), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = join(stateDir, 'scripts', entry.name);
      const record = await readJson(join(dir, 'script.json'), ScriptSchema);
      if (!record) continue; // a half-created or damaged script: not served
      store.scripts.set(record.name, record);
      store.secrets.set(record.name, (await readJson(join(dir, 'secrets.json'), SecretsSchema)) ?? {});
    }
    store.tokenRecords = (await readJson(join(stateDir, 'tokens.json'), TokensSchema)) ?? [];
    return store;
  }

  tokens(): readonly TokenRecord[] {
    return this.tokenRecords;
  }

  async addToken(record: TokenRecord): Promise<void> {
    await this.beforeWrite();
    const next = [...this.tokenRecords, record];
    await writeFileAtomic(join(this.stateDir, 'tokens.json'), `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    this.tokenRecords = next;
  }

  /** Runs one mutation at a time, in arrival order. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  listScripts(): ScriptRecord[] {
    return [...this.scripts.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  getScript(name: string): ScriptRecord | undefined {
    return this.scripts.get(name);
  }

  /** The version that runs: the biggest share of the newest deployment. */
  activeVersion(script: ScriptRecord): VersionRecord | undefined {
    const deployment = script.deployments[0];
    if (!deployment) return undefined;
    const top = [...deployment.versions].sort((a, b) => b.percentage - a.percentage)[0];
    return top ? script.versions.find((version) => version.id === top.version_id) : undefined;
  }

  secretValues(scriptName: string, versionId: string): Record<string, string> {
    return { ...(this.secrets.get(scriptName)?.[versionId] ?? {}) };
  }

  /** Names of the secrets whose values differ between two versions (added, removed or changed); never the values. */
  changedSecrets(scriptName: string, fromVersionId: string, toVersionId: string): string[] {
    const from = this.secretValues(scriptName, fromVersionId);
    const to = this.secretValues(scriptName, toVersionId);
    const names = new Set([...Object.keys(from), ...Object.keys(to)]);
    return [...names].filter((name) => from[name] !== to[name]).sort();
  }

  async readModule(scriptName: string, ref: ModuleRef): Promise<Uint8Array> {
    const key = `${scriptName}/${ref.hash}`;
    const cached = this.moduleCache.get(key);
    if (cached) return cached;
    const contents = new Uint8Array(await readFile(join(this.scriptDir(scriptName), 'modules', ref.hash)));
    this.moduleCache.set(key, contents);
    return contents;
  }

  /** Stores module contents (content-addressed) and returns their references. */
  async putModules(scriptName: string, modules: NewModule[]): Promise<ModuleRef[]> {
    await this.beforeWrite();
    const dir = await ensureStateDir(this.projectDir, join(this.scriptDir(scriptName), 'modules'));
    const refs: ModuleRef[] = [];
    for (const module of modules) {
      const hash = createHash('sha256').update(module.contents).digest('hex');
      const path = join(dir, hash);
      if (!(await exists(path))) await writeFileAtomic(path, module.contents, { mode: 0o600 });
      this.moduleCache.set(`${scriptName}/${hash}`, module.contents);
      refs.push({ name: module.name, type: module.type, contentType: module.contentType, hash, size: module.contents.byteLength });
    }
    return refs;
  }

  /** Writes a script and its secrets, trimming old versions and deployments. */
  async saveScript(record: ScriptRecord, secrets: SecretsByVersion): Promise<void> {
    await this.beforeWrite();
    record.deployments = record.deployments.slice(0, MAX_DEPLOYMENTS);
    const live = new Set(record.deployments[0]?.versions.map((v) => v.version_id) ?? []);
    const kept = record.versions.filter((version, index) => index < MAX_VERSIONS || live.has(version.id));
    record.versions = kept;
    const keptIds = new Set(kept.map((version) => version.id));
    const keptSecrets: SecretsByVersion = {};
    for (const [id, values] of Object.entries(secrets)) if (keptIds.has(id)) keptSecrets[id] = values;

    const dir = await ensureStateDir(this.projectDir, this.scriptDir(record.name));
    // Secrets first: a script.json never names a version whose secrets are missing.
    await writeFileAtomic(join(dir, 'secrets.json'), `${JSON.stringify(keptSecrets)}\n`, { mode: 0o600 });
    await writeFileAtomic(join(dir, 'script.json'), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    this.scripts.set(record.name, record);
    this.secrets.set(record.name, keptSecrets);
    await this.pruneModules(record);
  }

  async deleteScript(name: string): Promise<void> {
    await this.beforeWrite();
    this.scripts.delete(name);
    this.secrets.delete(name);
    for (const key of this.moduleCache.keys()) if (key.startsWith(`${name}/`)) this.moduleCache.delete(key);
    await rm(this.scriptDir(name), { recursive: true, force: true });
  }

  /** A copy of a script's secrets (for a mutation to edit and save). */
  secretsOf(name: string): SecretsByVersion {
    return structuredClone(this.secrets.get(name) ?? {});
  }

  private scriptDir(name: string): string {
    return join(this.stateDir, 'scripts', name);
  }

  private async pruneModules(record: ScriptRecord): Promise<void> {
    const used = new Set(record.versions.flatMap((version) => version.modules.map((module) => module.hash)));
    const dir = join(this.scriptDir(record.name), 'modules');
    let files: string[];
    try {
      files = await readdir(dir);
    } catch {
      return;
    }
    for (const file of files) {
      if (/^[0-9a-f]{64}$/.test(file) && !used.has(file)) {
        await rm(join(dir, file), { force: true });
        this.moduleCache.delete(`${record.name}/${file}`);
      }
    }
  }
}

async function loadIdentity(stateDir: string): Promise<EdgeIdentity> {
  const path = join(stateDir, 'identity.json');
  const existing = await readJson(path, IdentitySchema);
  if (existing) return existing;
  const identity: EdgeIdentity = {
    accountId: randomBytes(16).toString('hex'),
    // Cloudflare API tokens are 40 characters of [A-Za-z0-9_-].
    token: randomBytes(30).toString('base64url'),
  };
  await writeFileAtomic(path, `${JSON.stringify(identity, null, 2)}\n`, { mode: 0o600 });
  return identity;
}

async function readJson<T>(path: string, schema: z.ZodType<T>): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function newId(): string {
  return randomBytes(16)
    .toString('hex')
    .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
}

export function newTag(): string {
  return randomBytes(16).toString('hex');
}
