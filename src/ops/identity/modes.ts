import { basename, join } from 'node:path';
import type { JSONPath } from 'jsonc-parser';
import type { KvApi } from '../../cloudflare/kv.js';
import { AUTH_MODES_VAR, type AuthMode, IDENTITY_KV_BINDING, modesValue, needsIdentityStore } from '../../config/auth-modes.js';
import { setMember, writeConfigText } from '../../config/wrangler-config.js';
import type { Client, Fleet } from '../../fleet/fleet.js';
import { generateSigningKey, SIGNING_KEY } from '../../secrets/jwt-keys.js';
import { updateSecretsFile } from '../../secrets/secrets-file.js';
import { usageError } from '../../util/errors.js';
import { exists } from '../../util/files.js';
import { commandLine } from '../../util/next-step.js';
import { readRequiredSecretsFile } from '../secrets/preflight.js';
import { clientModes, identityNamespaceOf, identityNamespaceTitle } from './store.js';

export interface ModesChange {
  client: string;
  before: AuthMode[];
  after: AuthMode[];
  /** The identity namespace the section binds after the change; `created` when this run bound it. */
  namespace: { id: string; bound: boolean } | null;
  /** A JWT signing key was made for the client (in its secrets file only), or one was there. */
  signingKey: 'generated' | 'kept' | null;
  /** Something in the project changed: the next deploy ships it. */
  changed: boolean;
  /** Modes the project's worker code does not implement (a project scaffolded before them): the deploy would not honour them. */
  unsupported: AuthMode[];
}

/**
 * Which of the modes the project's own worker code implements, by the files the template puts
 * them in: a project made by an older mcp-fleet has its own copy of the worker, which knows only
 * the key, and would deploy a client whose OAuth or tokens nothing answers.
 */
export async function unsupportedModes(fleet: Fleet, modes: readonly AuthMode[]): Promise<AuthMode[]> {
  const platform = join(fleet.dir, 'src', 'platform');
  const has = async (path: string) => exists(join(platform, path));
  const missing: AuthMode[] = [];
  if (modes.includes('jwt') && !(await has('credentials.ts'))) missing.push('jwt');
  if (modes.includes('oauth') && !(await has(join('oauth', 'index.ts')))) missing.push('oauth');
  return missing;
}

/** Where a client's settings live in wrangler.jsonc. */
export function sectionPath(client: Pick<Client, 'envName'>): JSONPath {
  return client.envName === undefined ? [] : ['env', client.envName];
}

/**
 * Sets the auth modes of a client: `vars.AUTH_MODES` in its section; for oauth or jwt its identity
 * namespace, created through the API (one call, two when it exists already under its title) and
 * bound as OAUTH_KV, the first time only; for jwt a signing key in its secrets file, the first
 * time only. The remote step goes first and converges, so a failure leaves every file as it was
 * and a re-run picks up where it stopped. Nothing reaches the worker until the next deploy.
 */
export async function changeAuthModes(options: {
  fleet: Fleet;
  client: Client;
  modes: readonly AuthMode[];
  kv: KvApi | undefined;
}): Promise<ModesChange> {
  const { fleet, client, modes } = options;
  const before = clientModes(client);
  const at = sectionPath(client);
  let configText = fleet.configText;
  let namespace: ModesChange['namespace'] = null;

  const secretsFile = modes.includes('jwt') ? await readRequiredSecretsFile(fleet, client) : undefined;
  const hasKey = (secretsFile?.values.get(SIGNING_KEY) ?? '') !== '';

  if (needsIdentityStore(modes)) {
    const bound = identityNamespaceOf(client);
    if (bound !== undefined) namespace = { id: bound, bound: false };
    else {
      if (!options.kv)
        throw usageError(
          `${modesValue(modes)} needs ${client.name}'s identity namespace (Workers KV), and there is no target to create it on; nothing was changed`,
          `Choose one: ${commandLine('auth', client.name, modesValue(modes), '--local')}, or set CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID`,
        );
      const created = await options.kv.ensureNamespace(identityNamespaceTitle(client.name));
      const entry = { binding: IDENTITY_KV_BINDING, id: created.id };
      // Other namespaces the section binds stay as they are; ours is added after them.
      const existing = Array.isArray(client.env.kv_namespaces) ? (client.env.kv_namespaces as unknown[]) : [];
      configText = setMember(configText, [...at, 'kv_namespaces'], [...existing, entry], fleet.configPath);
      namespace = { id: created.id, bound: true };
    }
  }

  const value = modesValue(modes);
  const current = client.env.vars?.[AUTH_MODES_VAR];
  if (current !== value) {
    configText =
      client.env.vars === undefined
        ? setMember(configText, [...at, 'vars'], { [AUTH_MODES_VAR]: value }, fleet.configPath)
        : setMember(configText, [...at, 'vars', AUTH_MODES_VAR], value, fleet.configPath);
  }

  // The secrets file first: a key that no config names yet is harmless, a config naming jwt without one is not.
  let signingKey: ModesChange['signingKey'] = null;
  if (secretsFile) {
    signingKey = hasKey ? 'kept' : 'generated';
    if (!hasKey) await updateSecretsFile(secretsFile, new Map([[SIGNING_KEY, await generateSigningKey()]]), basename(client.secretsPath));
  }
  if (configText !== fleet.configText) await writeConfigText(fleet.configPath, configText);
  return {
    client: client.name,
    before,
    after: [...modes],
    namespace,
    signingKey,
    changed: configText !== fleet.configText || signingKey === 'generated',
    unsupported: await unsupportedModes(fleet, modes),
  };
}
