import { API_KEY, type Client } from '../../fleet/fleet.js';
import { readSecretsFile, type SecretsFile } from '../../secrets/secrets-file.js';
import { describeError, usageError } from '../../util/errors.js';
import { commandLine } from '../../util/next-step.js';
import { createRedactor } from '../../util/redact.js';
import type { ClientVerification } from './verification.js';

/** API_KEY per client, each client's secrets file, and every value of them (to redact from reports). */
export async function readKeysAndValues(
  clients: readonly Client[],
): Promise<{ keys: Map<string, string>; files: Map<string, SecretsFile>; values: string[] }> {
  const keys = new Map<string, string>();
  const files = new Map<string, SecretsFile>();
  const values = new Set<string>();
  const problems: string[] = [];
  for (const client of clients) {
    let file: Awaited<ReturnType<typeof readSecretsFile>>;
    try {
      file = await readSecretsFile(client.secretsPath);
    } catch (error) {
      problems.push(describeError(error));
      continue;
    }
    if (file === undefined) {
      problems.push(`client "${client.name}": no secrets file (${client.secretsPath} is missing)`);
      continue;
    }
    files.set(client.name, file);
    for (const value of file.values.values()) values.add(value);
    const key = file.values.get(API_KEY);
    if (key === undefined || key.trim() === '') {
      problems.push(`client "${client.name}": ${API_KEY} is ${key === undefined ? 'missing' : 'empty'} in ${client.secretsPath}`);
      continue;
    }
    keys.set(client.name, key);
  }
  if (problems.length > 0) {
    throw usageError(
      problems.length === 1 ? (problems[0] as string) : `cannot verify:\n  ${problems.join('\n  ')}`,
      `verify authenticates with each client's own API_KEY from .secrets.<client>; create it with: ${commandLine('add', '<client>')}`,
    );
  }
  return { keys, files, values: [...values] };
}

/** `text` with every value in `secrets`, and every piece of 8 or more characters of one, blanked out (util/redact.ts). */
export function redactText(text: string, secrets: readonly string[]): string {
  return createRedactor(secrets)(text);
}

/**
 * Belt and braces: no check puts a key into a detail, but a worker could echo one back in an
 * error body (whole, or a prefix of it), so every secret value this run has read (and the wrong
 * key) is blanked out of everything it reports. The session probes redact their bodies before they
 * cut them to length; this pass runs on what they made of them. Values shorter than 6 characters
 * are left: blanking them would garble text.
 */
export function redactResult(result: ClientVerification, redact: (text: string) => string): ClientVerification {
  const copy: ClientVerification = {
    ...result,
    url: redact(result.url),
    checks: result.checks.map((check) => ({ ...check, detail: redact(check.detail) })),
  };
  if (result.mcp !== undefined) {
    copy.mcp = {
      ...result.mcp,
      name: redact(result.mcp.name),
      version: redact(result.mcp.version),
      tools: result.mcp.tools.map(redact),
    };
  }
  if (result.protocols !== undefined) {
    copy.protocols = result.protocols.map((entry) => (entry.error === undefined ? entry : { ...entry, error: redact(entry.error) }));
  }
  return copy;
}
