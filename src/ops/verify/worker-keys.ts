import { basename } from 'node:path';
import { API_KEY, type Client, PREVIOUS_API_KEY } from '../../fleet/fleet.js';
import { apiKeyProblem } from '../../secrets/api-key.js';
import type { SecretsFile } from '../../secrets/secrets-file.js';
import { describeError } from '../../util/errors.js';
import { commandLine } from '../../util/next-step.js';

/** The names of a worker's secrets (one API call); undefined when the API knows no such worker. */
export type SecretNamesSource = (client: Client) => Promise<string[] | undefined>;

/** What the `auth` check adds to its probes about the keys that open a worker. */
export interface KeyFindings {
  /** Each fails the check. */
  problems: string[];
  /** Said beside a pass: what could not be looked at. */
  notes: string[];
}

/**
 * The probes see only the keys verify presents. Two more things decide who else gets in: the keys
 * in the file must obey the key rules (secrets/api-key.ts) — API_KEY_PREVIOUS opens the worker as
 * API_KEY does — and the worker must hold no API_KEY_PREVIOUS the file does not name: Cloudflare
 * never returns a value, so such a key (a hand edit, an older mcp-fleet) is one nobody can check,
 * and the operator believes it gone. The second needs the worker's secret names; without them
 * (no source, or the API unreachable) it is said that it was not looked at.
 */
export async function workerKeyFindings(
  client: Client,
  file: Pick<SecretsFile, 'values' | 'lines'>,
  secretNames: SecretNamesSource | undefined,
): Promise<KeyFindings> {
  const name = basename(client.secretsPath);
  const findings: KeyFindings = { problems: [], notes: [] };
  let names: string[] | undefined;
  if (secretNames !== undefined) {
    try {
      names = await secretNames(client);
      if (names === undefined) findings.notes.push(`the API knows no worker ${client.workerName}, so its secret names were not checked`);
    } catch (error) {
      findings.notes.push(
        `the worker's secret names could not be read (${describeError(error)}), so a key ${name} does not name was not looked for`,
      );
    }
  }
  for (const key of [API_KEY, PREVIOUS_API_KEY]) {
    const value = file.values.get(key);
    if (value === undefined || value === '') continue;
    const problem = apiKeyProblem(value);
    // A weak previous key the worker does not hold opens nothing; push refuses to send it.
    if (problem === undefined || (key === PREVIOUS_API_KEY && names !== undefined && !names.includes(key))) continue;
    const where = `${name}${file.lines.has(key) ? `:${file.lines.get(key)}` : ''}`;
    findings.problems.push(
      `${key} in ${where} ${problem}${key === PREVIOUS_API_KEY ? `, and it opens the worker as ${API_KEY} does` : ''}`,
    );
  }
  const previous = file.values.get(PREVIOUS_API_KEY);
  if (names?.includes(PREVIOUS_API_KEY) && (previous === undefined || previous === '')) {
    findings.problems.push(
      `the worker holds ${PREVIOUS_API_KEY}, which ${name} does not name: a previous key nobody can check still opens it (delete it: ${commandLine('secrets', 'retire', client.name)})`,
    );
  }
  return findings;
}
