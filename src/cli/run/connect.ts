import { HOSTS } from '../../ops/connect/hosts.js';
import { DEFAULT_CONCURRENCY } from '../../ops/fleet/defaults.js';
import { type ExitCode, usageError } from '../../util/errors.js';
import { commandLine } from '../../util/next-step.js';
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
  const format = HOST_FORMATS[host];
  const { inlineKey } = request;
  if (inlineKey && format.key === 'environment') {
    throw usageError(
      `--for ${host} --inline-key: ${format.label} reads the key only from an environment variable and refuses one written into its file`,
      `Leave --inline-key out: ${commandLine(...connectWords(request, host, false))}`,
    );
  }
  if (!inlineKey && format.key === 'inline') {
    throw usageError(
      `--for ${host}: ${format.label} expands no environment variable in a server's headers, so its configuration must hold the key itself`,
      `Add --inline-key (a file that holds it is written 0600): ${commandLine(...connectWords(request, host, true))}`,
    );
  }
  if (inlineKey && !request.yes && !process.stdout.isTTY) {
    throw usageError(
      '--inline-key puts the key itself into the output, which is not a terminal here',
      'Add --yes to confirm (e.g. with --write, which makes the files 0600), or leave --inline-key out: the configuration then refers to an environment variable.',
    );
  }

  const run = await prepareWorkerUrlRun(ctx, request.clients, request);
  const { clients, overrides, target } = run;
  const write =
    request.write === undefined
      ? undefined
      : await (await import('../../ops/connect/write-target.js')).resolveWriteTarget(
          request.write,
          format,
          inlineKey,
          clients.map((client) => client.name),
        );
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
    ...(write === undefined ? {} : { write }),
    concurrency: DEFAULT_CONCURRENCY.api,
  });
  const exitCode = fleetExitCode(result.entries.map((entry) => entry.error));
  ctx.output.result((await import('../../ui/json/common.js')).withTarget(connectJson(result, exitCode === 0), await run.targetDocument()));
  // Under --json the human text goes to stderr too, but not a configuration that holds the key
  // (--inline-key): the document on stdout has it already, and CI logs keep stderr.
  if (write !== undefined) ctx.output.info(report.renderWrittenConfigs(result, write));
  else if (result.servers.length > 0 && !(ctx.json && inlineKey)) ctx.output.info(documentText(format, result.servers).trimEnd());
  // Guidance and failures go to stderr: stdout stays exactly the configuration.
  // Printed, not written: how to merge it into the host's own file instead (never a redirect).
  const merge =
    write === undefined && format.defaultPath !== undefined
      ? `${commandLine(...connectWords(request, host, inlineKey))} --write ${format.defaultPath}`
      : undefined;
  ctx.output.write(`${report.renderConnectGuidance(result, inlineKey, merge)}\n`);
  const problems = renderProblems(result.entries);
  if (problems.length > 0) ctx.output.problem(['', ...problems].join('\n'));
  return exitCode;
}

/** This command again, with --inline-key added or taken out: the way out of a refusal. */
function connectWords(request: ConnectRequest, host: string, inlineKey: boolean): string[] {
  return [
    'connect',
    ...(request.all ? ['--all'] : request.clients),
    '--for',
    host,
    ...request.url.flatMap((url) => ['--url', url]),
    ...(request.write === undefined ? [] : ['--write', request.write]),
    ...(inlineKey ? ['--inline-key', ...(process.stdout.isTTY ? [] : ['--yes'])] : []),
  ];
}
