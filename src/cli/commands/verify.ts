import type { Command } from 'commander';
import { DEFAULT_CONCURRENCY } from '../../ops/defaults.js';
import { action } from '../action.js';
import { collect, commandContext } from '../context.js';
import { parseConcurrency, parseTimeoutSeconds } from '../flags.js';

interface VerifyFlags {
  all?: boolean;
  local?: boolean;
  url?: string[];
  concurrency?: string;
  timeout: string;
  protocol?: string;
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description("smoke-check clients' workers: health, ready, auth, origin, MCP sessions in both generations, identity and key isolation")
    .argument('[clients...]', 'clients to verify')
    .option('--all', 'verify every client')
    .option('--local', 'verify the workers on the local edge')
    .option('--url <client=url>', "the URL of a client's worker, for workers behind other domains (repeatable)", collect, [])
    .option('--concurrency <n>', `clients checked at once (default: ${DEFAULT_CONCURRENCY.verify})`)
    .option('--timeout <seconds>', 'per-request timeout', '10')
    .option('--protocol <generation>', 'MCP generations every worker must speak: modern (2026-07-28), legacy (2025) or both', 'both')
    .action(
      action(async (names: string[], flags: VerifyFlags, cmd: Command) => {
        const ctx = commandContext(cmd);
        const concurrency = parseConcurrency(flags.concurrency, DEFAULT_CONCURRENCY.verify);
        const timeoutMs = parseTimeoutSeconds(flags.timeout);
        const [
          { loadFleet, selectClients },
          { parseUrlOverrides },
          { verifyFleet, verifyExitCode },
          { renderVerifyReport, verifyJson },
          { parseProtocolRequirement },
        ] = await Promise.all([
          import('../../fleet/fleet.js'),
          import('../../ops/verify/client-urls.js'),
          import('../../ops/verify/verify-fleet.js'),
          import('../../ui/verify-report.js'),
          import('../../ops/verify/protocol.js'),
        ]);
        const protocol = parseProtocolRequirement(flags.protocol);
        const fleet = await loadFleet(ctx.cwd);
        const clients = selectClients(fleet, names, Boolean(flags.all));
        const overrides = parseUrlOverrides(
          flags.url ?? [],
          fleet.clients.map((client) => client.name),
        );
        if ([...overrides.values()].some((url) => /^http:\/\/([^/:]+\.)?localhost(:|\/|$)/i.test(url))) {
          // Node's fetch cannot resolve *.localhost on its own (the local edge's URLs).
          (await import('../../local/localhost-resolver.js')).installLocalhostResolver();
        }
        const local = Boolean(flags.local);
        // The target is resolved only if a client needs its URL, so --url for every client needs no API token.
        let target: Promise<import('../../cloudflare/target.js').Target> | undefined;
        const getTarget = async (): Promise<import('../../cloudflare/target.js').Target> => {
          const { resolveTarget } = await import('../../cloudflare/resolve-target.js');
          target ??= resolveTarget({ projectDir: fleet.dir, local, configAccountId: fleet.accountId });
          return target;
        };
        if (local) await getTarget();

        ctx.output.info(`Verifying ${clients.length} client${clients.length === 1 ? '' : 's'}${local ? ' on the local edge' : ''}…`);
        // A live count only where a person watches; logs and pipes get the report alone.
        const live = ctx.output.isTTY && clients.length > 1;
        let done = 0;
        const report = await verifyFleet({
          fleet,
          clients,
          target: { kind: local ? 'local' : 'cloudflare', workerUrl: async (worker) => (await getTarget()).workerUrl(worker) },
          urls: overrides,
          concurrency,
          timeoutMs,
          protocol,
          onProgress: live
            ? (_client, phase) => {
                if (phase === 'done' || phase === 'failed') ctx.output.write(`\r${++done}/${clients.length} clients checked`);
              }
            : undefined,
        });
        if (live) ctx.output.write('\r\u001b[2K');
        ctx.output.result(verifyJson(report));
        // Under --json this goes to stderr, so a person watching CI still reads the report.
        ctx.output.info(renderVerifyReport(report));
        return verifyExitCode(report);
      }),
    );
}
