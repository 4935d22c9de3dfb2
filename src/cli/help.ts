import type { DeclaredCommand, Example } from './define.js';

/**
 * What `--help` adds below commander's own text: each command's examples (from its declaration)
 * and, for the commands that talk to Cloudflare, where the credentials come from; at the top, the
 * environment variables mcp-fleet reads.
 */

/** The variables mcp-fleet reads, for the top-level help. Secrets are only ever read from here, never from flags. */
export const ENVIRONMENT: readonly (readonly [name: string, meaning: string])[] = [
  ['CLOUDFLARE_API_TOKEN', 'the API token (Workers Scripts: Edit; metrics also Account Analytics: Read)'],
  ['CLOUDFLARE_ACCOUNT_ID', 'the account id (or "account_id" in wrangler.jsonc)'],
  ['MCP_FLEET_TARGET', "local or cloudflare: the target when no --local/--remote is given (default: the project's, else Cloudflare)"],
  ['CLOUDFLARE_API_BASE_URL', 'another API base URL (default: https://api.cloudflare.com/client/v4)'],
  ['MCP_FLEET_RATE_LIMIT', 'the API budget of a run, e.g. 600/300 (default: 1200/300)'],
  ['MCP_FLEET_API_ATTEMPTS', 'attempts per API call, 1 to 20 (default: 7)'],
  ['MCP_FLEET_AGE_IDENTITY', 'the age identity (AGE-SECRET-KEY-1…) that opens sealed .secrets.<client>.age files, for CI'],
  ['MCP_FLEET_AGE_IDENTITY_FILE', 'an age key file instead (default: ~/.config/mcp-fleet/age-identity.txt)'],
  ['NO_COLOR', 'plain text, no colours'],
  ['MCP_FLEET_DEBUG', 'print the stack trace of an unexpected error'],
];

function indentedRows(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, meaning]) => `  ${name.padEnd(width)}  ${meaning}`);
}

export function environmentHelp(): string {
  return ['', 'Environment:', ...indentedRows(ENVIRONMENT)].join('\n');
}

/** One example as a person types it: `UPSTREAM_TOKEN=tok-acme mcp-fleet add acme --from-env`. */
export function exampleLine(example: Example, program: string): string {
  return [example.env, program, example.args].filter((part) => part !== undefined && part !== '').join(' ');
}

export function commandHelp(spec: DeclaredCommand, program: string): string {
  const lines = ['', 'Examples:'];
  for (const example of spec.examples) lines.push(`  # ${example.what}`, `  ${exampleLine(example, program)}`);
  if ('local' in spec.options) {
    lines.push(
      '',
      "On Cloudflare (--remote, or when the local edge is not the project's target) the token comes from",
      'CLOUDFLARE_API_TOKEN and the account from CLOUDFLARE_ACCOUNT_ID (or "account_id" in wrangler.jsonc).',
    );
  }
  return lines.join('\n');
}
