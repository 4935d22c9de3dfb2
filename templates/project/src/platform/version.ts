import { version } from '../../package.json';

/**
 * Reported by /health and in the MCP handshake: the project's own version, from package.json
 * (`npm version minor` bumps it). /health also names the exact deployed version (`versionId`,
 * from the version_metadata binding), so a rollout can tell new code from old without it.
 */
export const WORKER_VERSION: string = version;

export const SERVER_NAME = 'mcp-fleet-worker';
