import { missingPackages } from '../../../cloudflare/missing-packages.js';
import type { Pacer } from '../../../cloudflare/pacer.js';
import type { Target } from '../../../cloudflare/target.js';
import { envArgs, WRANGLER_DEPLOY_API_CALLS, wranglerDeploy } from '../../../cloudflare/wrangler.js';
import type { Client, Fleet } from '../../../fleet/fleet.js';
import { FleetError } from '../../../util/errors.js';
import type { DeployResult } from './results.js';

/**
 * The fallback for clients whose config the direct upload does not reproduce (Durable Object
 * migrations, assets, queues, routes, …): `wrangler deploy --env <client>` with the client's secrets
 * (`--secrets-file`), so code and secrets still land as one version. wrangler's calls do not pass
 * through our fetch, so the pacer is charged for them before it starts.
 */
export interface ShipWranglerOptions {
  fleet: Fleet;
  client: Client;
  target: Target;
  secrets: ReadonlyMap<string, string>;
  pacer: Pacer;
  result: DeployResult;
  progress: (detail: string) => void;
}

export async function shipWithWrangler(options: ShipWranglerOptions): Promise<string | undefined> {
  const { client, pacer, result } = options;
  if (pacer.delayFor(WRANGLER_DEPLOY_API_CALLS) > 0) options.progress('waiting for API budget');
  await pacer.acquire(WRANGLER_DEPLOY_API_CALLS);
  options.progress('wrangler deploy');
  const run = await wranglerDeploy({
    projectDir: options.fleet.dir,
    env: client.envName,
    label: client.name,
    target: options.target,
    secrets: options.secrets,
    onLine: (line) => {
      const status = summarizeWranglerLine(line);
      if (status) options.progress(`wrangler: ${status}`);
    },
  });
  result.logPath = run.logPath;
  if (!run.ok) {
    const missing = missingPackages(run.tail, options.fleet.dir);
    result.output = missing ? [] : run.tail;
    throw new FleetError(
      `${['wrangler deploy', ...envArgs(client.envName)].join(' ')} failed: ${missing?.failure ?? run.failure ?? 'see the log'}`,
      { hint: `Full output: ${run.logPath}${missing ? `; ${missing.hint}` : ''}` },
    );
  }
  return run.versionId;
}

/** A short live status from one line of wrangler's output; undefined for lines that are not a milestone. */
export function summarizeWranglerLine(line: string): string | undefined {
  if (/^Total Upload/i.test(line)) return 'uploading';
  if (/^Uploaded /i.test(line)) return 'uploaded';
  if (/^Deployed /i.test(line)) return 'publishing';
  if (/^Current Version ID/i.test(line)) return 'deployed';
  return undefined;
}
