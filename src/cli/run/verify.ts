import type { SecretsApi } from '../../cloudflare/api.js';
import type { Client } from '../../fleet/fleet.js';
import type { ExitCode } from '../../util/errors.js';
import type { CommandContext } from '../define.js';
import { prepareWorkerUrlRun } from '../worker-url-run.js';

export interface VerifyRequest {
  clients: string[];
  all: boolean;
  local: boolean;
  remote: boolean;
  url: string[];
  concurrency: number;
  timeout: number;
  protocol: string;
  signIn: boolean;
}

export async function runVerify(ctx: CommandContext, request: VerifyRequest): Promise<ExitCode> {
  const [{ verifyFleet, verifyExitCode }, { renderVerifyReport }, { verifyJson }, { parseProtocolRequirement }] = await Promise.all([
    import('../../ops/verify/verify-fleet.js'),
    import('../../ui/verify-report.js'),
    import('../../ui/json/verify.js'),
    import('../../ops/verify/protocol.js'),
  ]);
  const { withTarget } = await import('../../ui/json/common.js');
  const protocol = parseProtocolRequirement(request.protocol);
  const run = await prepareWorkerUrlRun(ctx, request.clients, request);
  const { fleet, clients, overrides, target, resolveTarget } = run;
  // Who else the worker lets in is in its secret names (one call per client): a previous key the file does not name.
  let api: Promise<SecretsApi> | undefined;
  const secretNames = async (client: Client): Promise<string[] | undefined> => {
    api ??= Promise.all([resolveTarget(), import('../../cloudflare/api.js')]).then(([resolved, { createSecretsApi }]) =>
      createSecretsApi(resolved),
    );
    return (await api).listSecretNames(client.workerName);
  };

  ctx.output.info(
    `Verifying ${clients.length} client${clients.length === 1 ? '' : 's'}${run.choice.kind === 'local' ? ' on the local edge' : ''}…`,
  );
  // A live count only where a person watches; logs and pipes get the report alone.
  const live = ctx.output.isTTY && clients.length > 1;
  let done = 0;
  const report = await verifyFleet({
    fleet,
    clients,
    target,
    urls: overrides,
    concurrency: request.concurrency,
    timeoutMs: request.timeout,
    protocol,
    secretNames,
    ...(request.signIn ? { signIn: (await import('../../cloudflare/kv.js')).createKvApi(await resolveTarget()) } : {}),
    onProgress: live
      ? (_client, phase) => {
          if (phase === 'done' || phase === 'failed') ctx.output.write(`\r${++done}/${clients.length} clients checked`);
        }
      : undefined,
  });
  if (live) ctx.output.write('\r\u001b[2K');
  ctx.output.result(withTarget(verifyJson(report), await run.targetDocument()));
  // Under --json this goes to stderr, so a person watching CI still reads the report.
  ctx.output.info(renderVerifyReport(report));
  return verifyExitCode(report);
}
