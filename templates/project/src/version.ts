/** Reported by /health and in the MCP handshake, so a deploy can be checked for having landed. */
export const WORKER_VERSION = '0.2.0';

export const SERVER_NAME = 'mcp-fleet-worker';
