import type { ParsedConfig } from '../config/wrangler-config.js';
import { type FleetError, usageError } from '../util/errors.js';

/**
 * Two env sections that deploy one worker (the same `name`, or a `name` equal to another env's
 * key, which is that env's worker when it has no name) make two clients of one worker: a deploy
 * of one ships its secrets to the other's customers, and removing one with --delete-worker deletes
 * the other's live worker. Such a config is bad input wherever the fleet is loaded.
 */

interface Deployer {
  env: string;
  /** Where the worker's name comes from: env.<key>.name, or the env key itself. */
  at: string;
}

/** The worker an env section deploys, as clientFromEnv names it. */
export function envWorkerName(key: string, env: { name?: unknown }): string {
  return typeof env.name === 'string' && env.name !== '' ? env.name : key;
}

/** The first worker two env sections deploy, as a usage error naming both sections and their lines; undefined when none. */
export function sharedWorkerProblem(file: ParsedConfig & { path: string }): FleetError | undefined {
  const envs = file.config.env ?? {};
  const keyAt = new Map(file.envKeys.map(({ name, at }) => [name, at]));
  const deployers = new Map<string, Deployer>();
  for (const [key, env] of Object.entries(envs)) {
    const worker = envWorkerName(key, env);
    const at = worker === key && worker !== env.name ? (keyAt.get(key) ?? file.path) : file.positionOf(['env', key, 'name']);
    const first = deployers.get(worker);
    if (first) {
      return usageError(
        `${at}: env.${key} deploys worker ${JSON.stringify(worker)}, and so does env.${first.env} (${first.at})`,
        `Two clients must never share a worker: one would serve with the other's secrets, and removing one would delete the other's worker. Give one of them a "name" of its own in ${file.path}; mcp-fleet changed nothing.`,
      );
    }
    deployers.set(worker, { env: key, at });
  }
  return undefined;
}
