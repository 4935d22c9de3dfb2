import { join } from 'node:path';
import type { Command } from 'commander';
import { HOSTS } from '../../ops/connect/hosts.js';
import { DEFAULT_CONCURRENCY } from '../../ops/fleet/defaults.js';
import { usageError } from '../../util/errors.js';
import { action } from '../action.js';
import { collect, commandContext } from '../context.js';
import { prepareWorkerUrlRun } from '../worker-url-run.js';

interface ConnectFlags {
  all?: boolean;
  for?: string;
  inlineKey?: boolean;
  write?: string;
  local?: boolean;
  url?: string[];
}

export function registerConnect(program: Command): void {
  program
    .command('connect')
    .description(
      "print (or write) the configuration an MCP host needs to reach a client's worker, and what its key-based auth supports there",
    )
    .argument('[clients...]', 'clients to connect')
    .option('--all', 'every client of the fleet')
    .option('--for <host>', `the MCP host: ${HOSTS.join(', ')}`)
    .option(
      '--inline-key',
      'embed the key itself (only at a terminal, or with --yes); by default the configuration refers to MCP_FLEET_<CLIENT>_API_KEY',
    )
    .option('--write <dir>', 'write <dir>/<client>/<file> for each client instead of printing (not inside a git repository unless ignored)')
    .option('--local', "the workers' URLs on the local edge")
    .option('--url <client=url>', "the URL of a client's worker, for workers behind other domains (repeatable)", collect, [])
    .action(
      action(async (names: string[], flags: ConnectFlags, cmd: Command) => {
        const ctx = commandContext(cmd);
        const { isHost, HOST_FORMATS, documentText } = await import('../../ops/connect/host-configs.js');
        const host = flags.for;
        if (host === undefined || !isHost(host)) {
          throw usageError(
            host === undefined
              ? '--for is required: which MCP host is the configuration for?'
              : `--for ${host}: not a host mcp-fleet knows`,
            `One of: ${HOSTS.join(', ')} (json: a neutral {url, transport, headers}).`,
          );
        }
        const inlineKey = Boolean(flags.inlineKey);
        if (inlineKey && !ctx.yes && !process.stdout.isTTY) {
          throw usageError(
            '--inline-key puts the key itself into the output, which is not a terminal here',
            'Add --yes to confirm (e.g. with --write, which makes the files 0600), or leave --inline-key out: the configuration then refers to an environment variable.',
          );
        }
        if (flags.write !== undefined && flags.write.trim() === '') throw usageError('--write needs a directory');

        const { clients, overrides, target } = await prepareWorkerUrlRun(ctx, names, flags);

        const format = HOST_FORMATS[host];
        if (flags.write !== undefined) {
          const { refuseUnignoredWrite } = await import('../../ops/connect/write-guard.js');
          await refuseUnignoredWrite(
            flags.write,
            clients.map((client) => join(client.name, format.fileName)),
          );
        }
        const [{ connectClients }, { fleetExitCode }, { renderProblems }, report, { connectJson }] = await Promise.all([
          import('../../ops/connect/connect.js'),
          import('../../ops/fleet/client-failure.js'),
          import('../../ui/fleet-report.js'),
          import('../../ui/connect-report.js'),
          import('../../ui/json/connect.js'),
        ]);
        const result = await connectClients({
          clients,
          host,
          inlineKey,
          target,
          overrides,
          ...(flags.write === undefined ? {} : { writeDir: flags.write }),
          concurrency: DEFAULT_CONCURRENCY.api,
        });
        const exitCode = fleetExitCode(result.entries.map((entry) => entry.error));
        ctx.output.result(connectJson(result, exitCode === 0));
        // Under --json the human text goes to stderr too, but not a configuration that holds the key
        // (--inline-key): the document on stdout has it already, and CI logs keep stderr.
        if (flags.write !== undefined) ctx.output.info(report.renderWrittenConfigs(result));
        else if (result.servers.length > 0 && !(ctx.json && inlineKey)) ctx.output.info(documentText(format, result.servers).trimEnd());
        // Guidance and failures go to stderr: stdout stays exactly the configuration.
        ctx.output.write(`${report.renderConnectGuidance(result, inlineKey)}\n`);
        const problems = renderProblems(result.entries);
        if (problems.length > 0) ctx.output.problem(['', ...problems].join('\n'));
        return exitCode;
      }),
    );
}
