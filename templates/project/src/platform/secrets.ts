import template from '../../.secrets.template' with { type: 'text' };

/**
 * Secrets a client's worker cannot run without: every key of `.secrets.template`, the file
 * mcp-fleet fills per client and pushes. The file itself is bundled (as text, by esbuild's text
 * loader), so adding a key there is all it takes: the worker requires it on the next deploy.
 * Without any one of them the worker answers 503 rather than run half-configured.
 */
export const REQUIRED_SECRETS: readonly string[] = templateKeys(template);

/**
 * The keys of a secrets file: `KEY=` lines (`export KEY=` too), skipping comments and blank
 * lines. The template holds names only; mcp-fleet refuses any other line before a deploy.
 */
export function templateKeys(text: string): string[] {
  const keys: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const key = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1];
    if (key !== undefined && !keys.includes(key)) keys.push(key);
  }
  return keys;
}

/** Names (never values) of required secrets that are unset or empty. */
export function missingSecrets(env: object): string[] {
  return REQUIRED_SECRETS.filter((name) => {
    const value: unknown = Reflect.get(env, name);
    return typeof value !== 'string' || value.length === 0;
  });
}

/**
 * What the worker cannot serve without, by name: the `CLIENT_ID` var (mcp-fleet writes it into the
 * client's section; without it the worker cannot say whom it serves, and whoami fails) and every
 * required secret.
 */
export function missingSettings(env: object): string[] {
  const clientId: unknown = Reflect.get(env, 'CLIENT_ID');
  return [...(typeof clientId === 'string' && clientId.length > 0 ? [] : ['CLIENT_ID']), ...missingSecrets(env)];
}
