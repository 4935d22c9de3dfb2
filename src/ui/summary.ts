import type { DeployJson, DeployPlanJson } from './json/deploy.js';
import type { PushJson, RotateJson } from './json/secrets.js';
import type { StatusJson } from './json/status.js';
import type { VerifyJson } from './json/verify.js';

/**
 * `--summary <file>`: a fleet command's result as Markdown, for GitHub Actions' step summary
 * (GITHUB_STEP_SUMMARY): a heading, a table with one row per client, and a summary line. It is made
 * from the command's --json document, which holds names and never a secret value, so the summary
 * cannot carry one either; commands without a table of their own get the generic one.
 */

type Row = readonly string[];

interface Table {
  header: Row;
  rows: Row[];
  line: string;
}

/** A cell: one line, pipes escaped, so a message cannot break the table. */
function cell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  return String(value).replace(/\r?\n/g, ' ').replaceAll('\\', '\\\\').replaceAll('|', '\\|');
}

function markdownTable({ header, rows }: Table): string {
  const line = (row: Row) => `| ${row.map(cell).join(' | ')} |`;
  return [line(header), `| ${header.map(() => '---').join(' | ')} |`, ...rows.map(line)].join('\n');
}

function counted(total: number, failed: number, noun = 'client'): string {
  return `${total} ${noun}${total === 1 ? '' : 's'}: ${total - failed} ok, ${failed} failed`;
}

const mark = (ok: boolean) => (ok ? '✅' : '❌');

function deployTable(doc: DeployJson): Table {
  const failed = doc.clients.filter((client) => !client.ok).length;
  return {
    header: ['Client', 'Worker', 'Result', 'Outcome', 'Wave', 'Version', 'Verify', 'Note'],
    rows: doc.clients.map((client) => [
      client.client,
      client.worker,
      mark(client.ok),
      client.outcome,
      String(client.plan.wave ?? ''),
      client.versionId ?? '',
      client.verify ? `${mark(client.verify.ok)} ${client.verify.detail}` : '',
      client.error?.message ?? client.why ?? '',
    ]),
    line: counted(doc.clients.length, failed),
  };
}

function planTable(doc: DeployPlanJson): Table {
  const { plan } = doc;
  return {
    header: ['Client', 'Worker', 'Wave', 'Method', 'New worker', 'API calls', 'Skipped because'],
    rows: doc.clients.map((client) => [
      client.client,
      client.worker,
      String(client.wave ?? ''),
      client.method,
      client.newWorker === undefined ? '' : client.newWorker ? 'yes' : 'no',
      String(client.apiCalls),
      client.skip ?? '',
    ]),
    line: `plan only, nothing changed: ${doc.clients.length} client(s) in ${plan.waves.length} wave(s) (${plan.waves.join(', ')}), ${plan.builds} build(s), ${plan.apiCalls} API calls, about ${plan.estimatedSeconds} s`,
  };
}

function statusTable(doc: StatusJson): Table {
  const drifted = doc.clients.filter((client) => !client.inSync).length;
  return {
    header: ['Client', 'Worker', 'In sync', 'Version', 'Deployed', 'Code', 'Drift'],
    rows: doc.clients.map((client) => [
      client.client,
      client.worker,
      mark(client.inSync),
      client.versionId ?? '',
      client.deployedAt ?? '',
      client.code ?? '',
      client.error?.message ?? client.drift.join('; '),
    ]),
    line: `${doc.clients.length} client(s): ${doc.clients.length - drifted} in sync, ${drifted} drifted or unreadable`,
  };
}

function verifyTable(doc: VerifyJson): Table {
  const failed = doc.clients.filter((client) => !client.ok).length;
  return {
    header: ['Client', 'URL', 'Result', 'Failed checks'],
    rows: doc.clients.map((client) => [
      client.client,
      client.url,
      mark(client.ok),
      client.checks
        .filter((check) => !check.ok && !check.skipped && !check.advisory)
        .map((check) => check.name)
        .join(', '),
    ]),
    line: counted(doc.clients.length, failed),
  };
}

function pushTable(doc: PushJson): Table {
  const failed = doc.clients.filter((client) => !client.ok).length;
  return {
    header: ['Client', 'Worker', 'Result', 'Secrets sent (names)', 'Note'],
    rows: doc.clients.map((client) => [
      client.client,
      client.worker,
      mark(client.ok),
      client.keys.join(', '),
      client.error?.message ?? client.warnings.join('; '),
    ]),
    line: counted(doc.clients.length, failed),
  };
}

function rotateTable(doc: RotateJson): Table {
  const failed = doc.clients.filter((client) => !client.ok).length;
  return {
    header: ['Client', 'Worker', 'Key', 'Result', 'Reached', 'Note'],
    rows: doc.clients.map((client) => [
      client.client,
      client.worker,
      client.key,
      mark(client.ok),
      client.reached,
      client.error?.message ?? client.warnings.join('; '),
    ]),
    line: counted(doc.clients.length, failed),
  };
}

interface GenericClient {
  client: string;
  ok?: boolean;
  error?: { message: string };
}

/** Any fleet document: its clients, each ok or failed with the reason. */
function genericTable(doc: { ok?: boolean; clients?: unknown }): Table | undefined {
  if (!Array.isArray(doc.clients)) return undefined;
  const clients = (doc.clients as GenericClient[]).filter((client) => typeof client?.client === 'string');
  const isOk = (client: GenericClient) => client.ok ?? client.error === undefined;
  return {
    header: ['Client', 'Result', 'Note'],
    rows: clients.map((client) => [client.client, mark(isOk(client)), client.error?.message ?? '']),
    line: counted(clients.length, clients.filter((client) => !isOk(client)).length),
  };
}

function tableOf(command: string, doc: Record<string, unknown>): Table | undefined {
  if (command === 'deploy' && typeof doc.plan === 'object' && doc.plan !== null && 'waves' in doc.plan)
    return planTable(doc as unknown as DeployPlanJson);
  if (command === 'deploy' && doc.plan === undefined) return deployTable(doc as unknown as DeployJson);
  if (command === 'status') return statusTable(doc as unknown as StatusJson);
  if (command === 'verify') return verifyTable(doc as unknown as VerifyJson);
  if (command === 'secrets push') return pushTable(doc as unknown as PushJson);
  if (command === 'secrets rotate') return rotateTable(doc as unknown as RotateJson);
  return genericTable(doc);
}

export interface SummaryInput {
  /** The command line as words after the program (`deploy --all --plan`): flags only, never a value of a secret. */
  title: string;
  command: string;
  /** The command's --json document, when it printed one. */
  document: unknown;
  exitCode: number;
  /** Why the command failed as a whole (bad usage, an error before any client). */
  failure?: { message: string; hint: string | undefined };
}

/** The Markdown appended for one command: a heading, the table, the summary line. */
export function renderSummary(input: SummaryInput): string {
  const heading = `### mcp-fleet ${input.title}`;
  const doc = typeof input.document === 'object' && input.document !== null ? (input.document as Record<string, unknown>) : undefined;
  const parts = [heading, ''];
  const table = doc ? tableOf(input.command, doc) : undefined;
  if (table && table.rows.length > 0) parts.push(markdownTable(table), '');
  const status = input.exitCode === 0 ? '✅ succeeded' : `❌ exit ${input.exitCode}`;
  const target = doc?.target as { kind?: string } | undefined;
  const where = target?.kind ? ` on ${target.kind === 'local' ? 'the local edge' : 'Cloudflare'}` : '';
  if (input.failure)
    parts.push(`**${status}**${where}: ${cell(input.failure.message)}${input.failure.hint ? ` — ${cell(input.failure.hint)}` : ''}`);
  else parts.push(`**${status}**${where}${table ? ` — ${table.line}` : ''}`);
  return `${parts.join('\n')}\n\n`;
}
