import type { Target } from '../../cloudflare/target.js';
import type { Fleet } from '../../fleet/fleet.js';
import { describeError, isFleetError } from '../../util/errors.js';
import { type DoctorCheck, doctorFailed, fail, ok } from './checks.js';
import { nodeCheck, wranglerCheck } from './environment.js';
import { edgeChecks, fleetFeatures, gitChecks, modeChecks, secretsFiles, templateChecks } from './project.js';
import { sealedChecks } from './sealed.js';
import { tokenChecks } from './token.js';

/**
 * `mcp-fleet doctor`: a list of independent checks, each reporting ok, warn or fail with a fix.
 * One check's trouble never stops the others: a check that throws is reported as its own failure.
 * A check is one entry of DOCTOR_CHECKS.
 */

/** Where doctor looks: the project (absent outside one) and the target whose token it checks. */
export interface DoctorInput {
  /** The project's directory, when doctor runs in one. */
  dir: string | undefined;
  /** The loaded project, or why it could not be loaded (then the checks that need it are skipped). */
  fleet: Fleet | undefined;
  fleetError: unknown;
  /** The resolved target, or why it could not be resolved (no token, no edge). */
  target: () => Promise<Target>;
}

interface DoctorEntry {
  id: string;
  title: string;
  /** Runs only in a project (skipped outside one). */
  project: boolean;
  run: (input: DoctorInput) => Promise<DoctorCheck[]>;
}

function requireFleet(input: DoctorInput): Fleet {
  if (!input.fleet) throw new Error('no project');
  return input.fleet;
}

export const DOCTOR_CHECKS: readonly DoctorEntry[] = [
  { id: 'node', title: 'Node.js', project: false, run: async () => [await nodeCheck()] },
  { id: 'wrangler', title: 'wrangler', project: false, run: async (input) => [await wranglerCheck(input.dir)] },
  {
    id: 'token',
    title: 'API token',
    project: false,
    run: async (input) => {
      let target: Target;
      try {
        target = await input.target();
      } catch (error) {
        if (!isFleetError(error)) throw error;
        return [fail('token', 'API token', error.message, error.hint ?? 'Export CLOUDFLARE_API_TOKEN=… and CLOUDFLARE_ACCOUNT_ID=…')];
      }
      return tokenChecks(target, input.fleet ? fleetFeatures(input.fleet) : undefined);
    },
  },
  {
    id: 'config',
    title: 'project config',
    project: true,
    run: async (input) => {
      if (input.fleet) return [ok('config', 'project config', `${input.fleet.configPath} loads: ${input.fleet.clients.length} client(s)`)];
      const error = input.fleetError;
      return [
        fail(
          'config',
          'project config',
          describeError(error),
          isFleetError(error) && error.hint ? error.hint : 'Fix the file the message names, then re-run doctor',
        ),
      ];
    },
  },
  {
    id: 'secrets.modes',
    title: 'secrets file modes',
    project: true,
    run: async (input) => modeChecks(input.dir ?? '.', await secretsFiles(input.dir ?? '.')),
  },
  {
    id: 'secrets.git',
    title: 'secrets kept out of git',
    project: true,
    run: async (input) => gitChecks(input.dir ?? '.', await secretsFiles(input.dir ?? '.')),
  },
  { id: 'edge', title: 'local edge', project: true, run: async (input) => edgeChecks(input.dir ?? '.') },
  { id: 'sealed', title: 'sealed secrets', project: true, run: async (input) => (input.fleet ? sealedChecks(input.fleet) : []) },
  {
    id: 'template',
    title: 'worker template',
    project: true,
    run: async (input) => (input.fleet ? templateChecks(requireFleet(input)) : []),
  },
];

export interface DoctorReport {
  /** The project directory, or undefined outside a project. */
  project: string | undefined;
  checks: DoctorCheck[];
  ok: boolean;
}

export async function runDoctor(input: DoctorInput, entries: readonly DoctorEntry[] = DOCTOR_CHECKS): Promise<DoctorReport> {
  const chosen = entries.filter((entry) => input.dir !== undefined || !entry.project);
  const results = await Promise.all(
    chosen.map((entry) =>
      entry
        .run(input)
        .catch((error: unknown) => [
          fail(entry.id, entry.title, `the check itself failed: ${describeError(error)}`, 'Re-run doctor; if it persists, report it'),
        ]),
    ),
  );
  const checks = results.flat();
  return { project: input.dir, checks, ok: !doctorFailed(checks) };
}
