import { join } from 'node:path';
import { HOSTS } from '../../ops/connect/hosts.js';
import { DEFAULT_CONCURRENCY } from '../../ops/fleet/defaults.js';
import { type ExitCode, usageError } from '../../util/errors.js';
import type { CommandContext } from '../define.js';
import { prepareWorkerUrlRun } from '../worker-url-run.js';

export interface ConnectRequest {
  clients: string[];
  all: boolean;
  for: string | undefined;
  inlineKey: boolean;
  yes: boolean;
  write: string | undefined;
  local: boolean;
  remote: boolean;
  url: string[];
}

export async function runConnect(ctx: CommandContext, request: ConnectRequest): Promise<ExitCode> {
  const { isHost, HOST_FORMATS, documentText } = await import('../../ops/connect/host-configs.js');
  const host = request.for;
  if (host === undefined || !isHost(host)) {
    throw usageError(
      host === undefined ? '--for is required: which MCP host is the configuration for?' : `--for ${host}: not a host mcp-fleet knows`,
      `One of: ${HOSTS.join(', ')} (json: a neutral {url, transport, headers}).`,
    );
  }
  const { inlineKey } = request;
  if (inlineKey && !request.yes && !process.stdout.isTTY) {
    throw usageError(
      '--inline-key puts the key itself into the output, which is not a terminal here',
      'Add --yes to confirm (e.g. with --write, which makes the files 0600), or leave --inline-key out: the configuration then refers to an environment variable.',
    );
  }
  if (request.write !== undefined && request.write.trim() === '') throw usageError('--write needs a directory');

  const run = await prepareWorkerUrlRun(ctx, request.clients, request);
  const { clients, overrides, target } = run;

  const format = HOST_FORMATS[host];
  if (request.write !== undefined) {
    const { refuseUnignoredWrite } = await import('../../ops/connect/write-guard.js');
    await refuseUnignoredWrite(
      request.write,
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
    ...(request.write === undefined ? {} : { writeDir: request.write }),
    concurrency: DEFAULT_CONCURRENCY.api,
  });
  const exitCode = fleetExitCode(result.entries.map((entry) => entry.error));
  ctx.output.result((await import('../../ui/json/common.js')).withTarget(connectJson(result, exitCode === 0), await run.targetDocument()));
  // Under --json the human text goes to stderr too, but not a configuration that holds the key
  // (--inline-key): the document on stdout has it already, and CI logs keep stderr.
  if (request.write !== undefined) ctx.output.info(report.renderWrittenConfigs(result));
  else if (result.servers.length > 0 && !(ctx.json && inlineKey)) ctx.output.info(documentText(format, result.servers).trimEnd());
  // Guidance and failures go to stderr: stdout stays exactly the configuration.
  ctx.output.write(`${report.renderConnectGuidance(result, inlineKey)}\n`);
  const problems = renderProblems(result.entries);
  if (problems.length > 0) ctx.output.problem(['', ...problems].join('\n'));
  return exitCode;
}
