import { setMaxListeners } from 'node:events';
import type { Command } from 'commander';
import { type ExitCode, usageError } from '../../util/errors.js';
import { action } from '../action.js';
import type { FleetFlags } from '../fleet-run.js';
import { prepareFleetRun } from '../fleet-run.js';

interface LogsFlags extends FleetFlags {
  since?: string;
  follow?: boolean;
}

export function registerLogs(program: Command): void {
  program
    .command('logs')
    .description(
      "stream clients' worker logs live from Cloudflare's tail: requests, console output, exceptions (Ctrl-C stops and deletes the tails)",
    )
    .argument('[clients...]', 'clients whose logs to stream')
    .option('--all', 'every client of the fleet')
    .option('--local', 'use the local edge (mcp-fleet local start) instead of Cloudflare')
    .option('--follow', 'when Cloudflare closes a tail (it expires, or the connection drops), open it again; without it, logs ends then')
    .option('--since <duration>', "not supported: Cloudflare's tail is live-only (the command says where past logs are)")
    .option(
      '--rate-limit <requests/seconds>',
      "API budget for this run (default: MCP_FLEET_RATE_LIMIT, else 1200/300, Cloudflare's limit per token)",
    )
    .action(
      action(async (names: string[], flags: LogsFlags, cmd: Command): Promise<ExitCode> => {
        if (flags.since !== undefined) {
          throw usageError(
            `--since ${flags.since}: Cloudflare's tail is live-only — it streams what the workers log from the moment it opens, nothing earlier`,
            'Past logs are in Workers Logs (the template turns observability on): dashboard → Workers & Pages → <worker> → Logs. For request counts and status codes over a window: mcp-fleet metrics --since 1h.',
          );
        }
        const run = await prepareFleetRun(cmd, names, flags);
        const [{ streamLogs }, { createTailApi, connectTail }, format, { fleetExitCode }, { renderProblems }, { logsJson }] =
          await Promise.all([
            import('../../ops/logs/logs.js'),
            import('../../cloudflare/tail.js'),
            import('../../ui/logs-format.js'),
            import('../../ops/fleet/client-failure.js'),
            import('../../ui/fleet-report.js'),
            import('../../ui/json/logs.js'),
          ]);
        const { output, json } = run.ctx;
        const clients = run.clients.map((client) => client.name);
        const controller = new AbortController();
        // Every client's stream waits on this one signal.
        setMaxListeners(0, controller.signal);
        const stop = () => controller.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        // A reader that went away (`| head`) ends the run as Ctrl-C does, tails deleted.
        const onStdoutError = () => stop();
        process.stdout.on('error', onStdoutError);
        output.write(
          `Tailing ${clients.join(', ')}${run.target.kind === 'local' ? ' on the local edge' : ''}: live only, from now on. Ctrl-C stops and deletes the tail${clients.length === 1 ? '' : 's'}.\n`,
        );
        try {
          const results = await streamLogs({
            clients: run.clients,
            tails: createTailApi(run.target),
            connect: (url, onMessage) => connectTail(url, onMessage),
            follow: Boolean(flags.follow),
            signal: controller.signal,
            onEvent: (event) => {
              const lines = json ? [format.eventJsonLine(event)] : format.formatEvent(event, { clients });
              process.stdout.write(`${lines.join('\n')}\n`);
            },
            onProgress: (client, phase, detail) => {
              if (phase === 'working' && detail.startsWith('opening')) return;
              if (phase === 'failed') return; // said once, with its hint, below
              output.write(`${client}: ${detail}\n`);
            },
          });
          output.write(`${format.logsSummary(results)}\n`);
          const problems = renderProblems(results);
          if (problems.length > 0) output.problem(problems.join('\n'));
          const exitCode = fleetExitCode(results.map((result) => result.error));
          if (json) process.stdout.write(`${JSON.stringify(logsJson(results, exitCode === 0))}\n`);
          return exitCode;
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          process.stdout.off('error', onStdoutError);
        }
      }),
    );
}
