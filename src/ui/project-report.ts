import type { AddResult } from '../ops/project/add.js';
import { WORKFLOW_SECRETS, type WorkflowWrite } from '../ops/project/ci-github.js';
import type { DeleteWorkerResult, RemovedClientWorker } from '../ops/project/delete-worker.js';
import type { InitResult } from '../ops/project/init.js';
import type { RemoveResult } from '../ops/project/remove.js';
import type { RestoreResult } from '../ops/project/restore.js';
import type { ConfigUpgrade } from '../ops/project/upgrade-config.js';
import { commandLine, commandLineIn } from '../util/next-step.js';
import type { Output } from './output.js';

/** What init, add, remove, restore and upgrade-config say they did, with the next step as it runs. */

export function renderInit(output: Output, dir: string, result: InitResult): void {
  // The next steps act on the new project: from wherever this ran, -C points at it.
  const inProject = (...words: string[]) => commandLineIn(dir, ...words);
  if (result.adopted) {
    output.success(`adopted ${dir}${result.created.length ? ` (added ${result.created.join(', ')})` : ' (nothing to add)'}`);
    const top = result.topLevel;
    const clients = (result.clients ?? []).map((name) => (top?.client && name === top.name ? `${name} (top-level worker)` : name));
    output.info(`  clients: ${clients.join(', ') || 'none yet'}`);
    if (top && !top.client && top.canBeClient)
      output.info(`  the top-level worker ${top.name} is not a client; if it serves one: ${inProject('add', top.name, '--default')}`);
    const lacking = result.withoutSecrets ?? [];
    if (lacking.length > 0) {
      // Each line asks for the live API_KEY at a terminal (or takes it with --from-env): never a new key for a live worker.
      output.info(`  no secrets file yet for ${lacking.join(', ')}; make each from the template, keeping its worker's API_KEY:`);
      for (const name of lacking) output.info(`    ${inProject('add', name, '--adopt')}`);
      output.info(`next: ${inProject('add', lacking[0] as string, '--adopt')}`);
      return;
    }
  } else {
    output.success(`created fleet project ${result.name} in ${dir}`);
    for (const file of result.created) output.info(`  ${file}`);
  }
  output.info(`next: ${inProject('add', '<client>')}`);
}

function keySourceLine(result: AddResult, key: string, source: string): string {
  if (key === 'UPSTREAM_SIGNING_KEY' && source === 'generated' && result.workerExists === true) {
    return `${source}: a new key for a worker that runs (give the one its upstream verifies with as UPSTREAM_SIGNING_KEY with --from-env to keep it)`;
  }
  if (key !== 'API_KEY') return source;
  if (result.replacedLiveKey) return `${source}: a new key for a worker that runs`;
  if (result.workerExists === true) return `${source}: the key the running worker has, kept`;
  return source;
}

export function renderAdd(output: Output, configPath: string, result: AddResult, deploying: boolean): void {
  const { client } = result;
  if (result.resumed) {
    output.success(
      `${client} was added by an earlier add, stopped after it had written everything; nothing more to do (no value given now was used)`,
    );
  } else if (result.default) {
    output.success(
      `${client} is a client: the top-level worker ${result.worker}, deployed without --env, dataset ${result.dataset ?? 'none'}`,
    );
  } else if (result.keptSection) {
    output.success(`adopted ${client}: env.${client} in ${configPath} left as it was (worker ${result.worker})`);
  } else {
    output.success(`added ${client}: worker ${result.worker}, dataset ${result.dataset}`);
  }
  if (result.default && result.configAdded.length > 0) output.info(`  added to ${configPath}: ${result.configAdded.join(', ')}`);
  if (result.dataset === null)
    output.warn(`the top level binds no ANALYTICS dataset: ${commandLine('metrics', client)} will have nothing to read`);
  output.info(`  secrets: ${result.secretsFile} (0600)`);
  if (result.sealedFile) output.info(`  sealed:  ${result.sealedFile} (for everyone in .secrets-recipients: commit it)`);
  for (const [key, source] of Object.entries(result.sources)) output.info(`    ${key}: ${keySourceLine(result, key, source)}`);
  const set = Object.entries(result.vars).filter(([, source]) => source !== 'missing');
  if (set.length > 0) output.info(`  settings in env.${client}.vars: ${set.map(([key, source]) => `${key} (${source})`).join(', ')}`);
  if (result.backup) output.info(`  previous secrets kept at ${result.backup}`);
  if (result.replacedLiveKey)
    output.warn(
      `worker ${result.worker} runs with another API_KEY: from the next deploy on it refuses its callers' old key, until they have the new one from ${result.secretsFile}`,
    );
  if (result.workerUnknown)
    output.warn(
      `API_KEY was generated without knowing whether worker ${result.worker} already runs (${result.workerUnknown}). If it does, put the key its callers use in ${result.secretsFile} before deploying.`,
    );
  if (result.missing.length > 0) output.warn(`missing: ${result.missing.join(', ')} — fill them in ${result.secretsFile} before deploying`);
  if (result.varsNotSet.length > 0)
    output.warn(
      `not set: ${result.varsNotSet.join(', ')} (settings of .vars.template) — add ${result.varsNotSet.length > 1 ? 'them' : 'it'} to env.${client}.vars in ${configPath} when ${client} has ${result.varsNotSet.length > 1 ? 'them' : 'one'}`,
    );
  if (result.sectionLacks.length > 0)
    output.info(
      `  env.${client} lacks ${result.sectionLacks.join(', ')} (add writes them today): ${commandLine('upgrade-config', client)}`,
    );
  if (!deploying) output.info(`next: ${commandLine('deploy', client)}`);
}

export interface RemoveReport {
  /** With --delete-worker: what became of the worker. */
  worker: DeleteWorkerResult | undefined;
  /** Where the worker was deleted ("the local edge", "Cloudflare"). */
  target: string | undefined;
  /** With --keep-worker: the command line that deletes the worker later. */
  deleteLater: string | undefined;
}

export function renderRemove(output: Output, configPath: string, result: RemoveResult, report: RemoveReport): void {
  const { worker } = report;
  const where = report.target ? ` on ${report.target}` : '';
  if (worker)
    output.success(
      worker.outcome === 'deleted'
        ? `deleted worker ${worker.worker}${where}`
        : `worker ${worker.worker} did not exist${where}; nothing to delete`,
    );
  output.success(
    result.configChanged
      ? `removed ${result.client} from ${configPath}`
      : `${result.client} is no longer a client; the top-level worker's settings in ${configPath} were left as they are`,
  );
  if (result.secretsKeptAt) output.info(`  secrets kept at ${result.secretsKeptAt}`);
  if (result.sealedKeptAt) output.info(`  sealed copy kept at ${result.sealedKeptAt} (it left the project: commit its removal)`);
  if (result.secretsLinkedTo)
    output.info(
      `  .secrets.${result.client} was a link to ${result.secretsLinkedTo}: its content was kept and the link removed; ${result.secretsLinkedTo} was left as it is`,
    );
  output.info(`  bring it back with: ${commandLine('restore', result.client)}`);
  if (report.deleteLater) {
    output.warn(
      `worker ${result.worker} was not deleted: if it was deployed, it is still serving, and ${result.client}'s key still opens it`,
    );
    output.info(`  delete it later: ${report.deleteLater}`);
  }
}

/** `remove <client> --delete-worker` of a client removed from the config earlier. */
export function renderRemovedWorker(
  output: Output,
  found: Pick<RemovedClientWorker, 'client' | 'worker'>,
  worker: DeleteWorkerResult,
  target: string,
): void {
  output.success(
    worker.outcome === 'deleted'
      ? `deleted worker ${worker.worker} on ${target} (${found.client} was removed from the config earlier)`
      : `worker ${worker.worker} did not exist on ${target}; nothing to delete`,
  );
}

const RESTORED_SECTION: Record<RestoreResult['section'], (client: string, configPath: string) => string> = {
  exact: (client, configPath) => `env.${client} is back in ${configPath}, which is again byte for byte what it was before the removal`,
  appended: (client, configPath) =>
    `env.${client} is back in ${configPath} as it was written, as the last env section (the file changed since)`,
  new: (client, configPath) => `env.${client} was written to ${configPath} as add writes it: the mcp-fleet that removed it kept no copy`,
  'top-level': (_client, configPath) => `the top-level worker's settings never left ${configPath}`,
};

export function renderRestore(output: Output, configPath: string, result: RestoreResult): void {
  output.success(`restored ${result.client} (worker ${result.worker}), as removed on ${result.removal}`);
  output.info(`  ${RESTORED_SECTION[result.section](result.client, configPath)}`);
  output.info(result.secretsFile ? `  secrets: ${result.secretsFile} (0600), byte for byte as kept` : '  secrets: none were kept');
  output.info(`next: ${commandLine('deploy', result.client)}`);
}

export function renderUpgrade(output: Output, configPath: string, result: ConfigUpgrade, check: boolean): void {
  for (const entry of result.clients) {
    output.info(
      entry.added.length === 0
        ? `  ${entry.client}  nothing to add (${entry.section})`
        : `  ${entry.client}  ${check ? 'lacks' : 'added'} ${entry.added.join(', ')} (${entry.section})`,
    );
  }
  const count = result.clients.filter((entry) => entry.added.length > 0).length;
  if (!result.changed) output.success(`every section is complete (${result.clients.length} checked)`);
  else if (check) output.warn(`${count} of ${result.clients.length} sections lack something; run without --check to add it`);
  else output.success(`completed ${count} of ${result.clients.length} sections in ${configPath}; deploy to use them`);
}

/** What `init --ci github` did with the workflow, the secrets to set, and what the project still lacks. */
export function renderWorkflow(output: Output, write: WorkflowWrite, notes: readonly string[]): void {
  const did = { created: 'wrote', replaced: 'replaced', unchanged: 'already up to date:' }[write.outcome];
  output.success(`${did} ${write.path} (pull requests: deploy plan and status; pushes to main: deploy in waves)`);
  output.info(`  repository secrets it reads: ${WORKFLOW_SECRETS.join(', ')}`);
  for (const note of notes) output.warn(note);
}
