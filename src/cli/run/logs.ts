import { setMaxListeners } from 'node:events';
import type { ExitCode } from '../../util/errors.js';
import type { CommandContext } from '../define.js';
import { type FleetFlags, prepareFleetRun, targetDocument } from '../fleet-command.js';

export interface LogsRequest extends FleetFlags {
  clients: string[];
  follow: boolean;
}

/** Streams the tails until they end or Ctrl-C (or a reader that went away) stops them; the tails are deleted either way. */
export async function runLogs(ctx: CommandContext, request: LogsRequest): Promise<ExitCode> {
  const run = await prepareFleetRun(ctx, request.clients, request);
  const [{ streamLogs }, { createTailApi, connectTail }, format, { fleetExitCode }, { renderProblems }, { logsJson }] = await Promise.all([
    import('../../ops/logs/logs.js'),
    import('../../cloudflare/tail.js'),
    import('../../ui/logs-format.js'),
    import('../../ops/fleet/client-failure.js'),
    import('../../ui/fleet-report.js'),
    import('../../ui/json/logs.js'),
  ]);
  const { output, json } = ctx;
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
      follow: request.follow,
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
    if (json) {
      const { withTarget } = await import('../../ui/json/common.js');
      process.stdout.write(`${JSON.stringify(withTarget(logsJson(results, exitCode === 0), await targetDocument(run.target)))}\n`);
    }
    return exitCode;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.stdout.off('error', onStdoutError);
  }
}
