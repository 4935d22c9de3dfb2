import pc from 'picocolors';
import type { ClientListing } from '../ops/project/list.js';
import { commandLine } from '../util/next-step.js';
import { renderTable } from './table.js';

function secretsState(secrets: ClientListing['secrets']): string {
  if (secrets.file === 'absent') return pc.red('no secrets file');
  if (secrets.file === 'invalid') return pc.red(`invalid: ${secrets.error ?? ''}`);
  const problems = [
    ...(secrets.missing.length ? [`missing ${secrets.missing.join(', ')}`] : []),
    ...(secrets.empty.length ? [`empty ${secrets.empty.join(', ')}`] : []),
  ];
  return problems.length ? pc.yellow(problems.join('; ')) : pc.green('complete');
}

export function renderClientList(listing: readonly ClientListing[]): string {
  if (listing.length === 0) return `no clients yet — add one with: ${commandLine('add', '<client>')}`;
  const withUrls = listing.some((row) => row.url);
  const header = ['CLIENT', 'WORKER', 'DATASET', ...(withUrls ? ['URL'] : []), 'AUTH', 'SECRETS'];
  const rows = listing.map((row) => [
    row.env === null ? `${row.client} ${pc.dim('(top-level)')}` : row.client,
    row.worker,
    row.dataset ?? '-',
    ...(withUrls ? [row.url ?? '-'] : []),
    row.auth.join(','),
    secretsState(row.secrets),
  ]);
  return `${renderTable(header, rows)}\n${listing.length} client${listing.length === 1 ? '' : 's'}`;
}
