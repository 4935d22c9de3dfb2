import type { Command } from 'commander';
import { DEFAULT_CONCURRENCY } from '../../ops/fleet/defaults.js';
import { action } from '../action.js';
import { collect, commandContext } from '../context.js';
import { parseConcurrency, parseTimeoutSeconds } from '../flags.js';
import { prepareWorkerUrlRun } from '../worker-url-run.js';

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
        const [{ verifyFleet, verifyExitCode }, { renderVerifyReport }, { verifyJson }, { parseProtocolRequirement }] = await Promise.all([
          import('../../ops/verify/verify-fleet.js'),
          import('../../ui/verify-report.js'),
          import('../../ui/json/verify.js'),
          import('../../ops/verify/protocol.js'),
        ]);
        const protocol = parseProtocolRequirement(flags.protocol);
        const { fleet, clients, overrides, local, target } = await prepareWorkerUrlRun(ctx, names, flags);

        ctx.output.info(`Verifying ${clients.length} client${clients.length === 1 ? '' : 's'}${local ? ' on the local edge' : ''}…`);
        // A live count only where a person watches; logs and pipes get the report alone.
        const live = ctx.output.isTTY && clients.length > 1;
        let done = 0;
        const report = await verifyFleet({
          fleet,
          clients,
          target,
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
