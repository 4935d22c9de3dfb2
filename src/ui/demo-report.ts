import pc from 'picocolors';
import type { DemoResult } from '../ops/demo.js';
import { renderTable } from './table.js';

function seconds(ms: number | undefined): string {
  return ms === undefined ? '-' : `${(ms / 1000).toFixed(1)}s`;
}

/** The final fleet table: client, URL, checks, timings. */
export function renderDemoTable(result: DemoResult): string {
  const rows = result.rows.map((row) => {
    const passed = row.checks.filter((check) => check.ok).length;
    const checks = row.checks.length === 0 ? '-' : `${passed}/${row.checks.length} passed`;
    return [
      row.client,
      row.url || '-',
      passed === row.checks.length && row.checks.length > 0 ? pc.green(checks) : pc.red(checks),
      row.rotated ? 'rotated' : '-',
      seconds(row.deployMs),
      seconds(row.verifyMs),
    ];
  });
  return renderTable(['CLIENT', 'URL', 'CHECKS', 'API_KEY', 'DEPLOY', 'VERIFY'], rows);
}

/** What a person runs to do the same on their own project, locally and then on Cloudflare. */
export function nextSteps(): string {
  return [
    pc.bold('Do the same on your own project:'),
    '  mcp-fleet init my-fleet && cd my-fleet',
    '  mcp-fleet local start --detach',
    '  UPSTREAM_TOKEN=… mcp-fleet add acme --from-env',
    '  mcp-fleet deploy --all --local',
    '  mcp-fleet verify --all --local',
    '  mcp-fleet secrets rotate acme --local',
    '  mcp-fleet local stop',
    '',
    pc.bold('Then on Cloudflare (a token with "Workers Scripts: Edit"):'),
    '  export CLOUDFLARE_API_TOKEN=…  CLOUDFLARE_ACCOUNT_ID=…',
    '  mcp-fleet deploy --all',
    '  mcp-fleet verify --all',
    '  mcp-fleet secrets status --all',
  ].join('\n');
}
