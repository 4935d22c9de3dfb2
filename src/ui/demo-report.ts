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

/** What a person runs to do the same on their own project, locally and then on Cloudflare; `cli` is how they run mcp-fleet. */
export function nextSteps(cli = 'mcp-fleet'): string {
  return [
    pc.bold('Do the same on your own project:'),
    `  ${cli} init my-fleet && cd my-fleet`,
    `  ${cli} local start --detach            # the project's target until local stop`,
    `  UPSTREAM_TOKEN=… ${cli} add acme --from-env`,
    `  ${cli} deploy --all`,
    `  ${cli} verify --all`,
    `  ${cli} secrets rotate acme`,
    `  ${cli} history acme`,
    `  ${cli} local stop                      # commands act on Cloudflare again`,
    '',
    pc.bold('Then on Cloudflare (a token with "Workers Scripts: Edit"):'),
    '  export CLOUDFLARE_API_TOKEN=…  CLOUDFLARE_ACCOUNT_ID=…',
    `  ${cli} deploy --all`,
    `  ${cli} verify --all`,
    `  ${cli} secrets status --all`,
  ].join('\n');
}
