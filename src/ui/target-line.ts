import type { TargetChoice } from '../cloudflare/target-choice.js';

/** What a command says first: which target it acts on, and what chose it (so that a surprise is seen before anything happens). */
export function targetLine(
  target: { kind: 'cloudflare' | 'local'; accountId: string | undefined; apiBaseUrl: string | undefined },
  choice: TargetChoice,
): string {
  if (target.kind === 'local') {
    const where = target.apiBaseUrl ? ` on ${new URL(target.apiBaseUrl).host}` : '';
    const why =
      choice.by === 'project'
        ? " (this project's default since local start; --remote acts on Cloudflare)"
        : choice.by === 'environment'
          ? ' (MCP_FLEET_TARGET=local)'
          : choice.by === 'flag'
            ? ' (--local)'
            : '';
    return `target: the local edge${where}${why}`;
  }
  const account = target.accountId ? `, account ${target.accountId}` : '';
  const why = choice.by === 'environment' ? ' (MCP_FLEET_TARGET=cloudflare)' : choice.by === 'flag' ? ' (--remote)' : '';
  const against = choice.localRemembered ? "; this project's default is the local edge" : '';
  return `target: Cloudflare${account}${why}${against}`;
}
