/**
 * How long mcp-fleet waits for something outside it, in milliseconds. One set, so that the same
 * wait has the same length everywhere it happens. Imports nothing: the CLI may show these in --help
 * without loading an op.
 */
export const TIMEOUT_MS = {
  /**
   * One request of a polling check (a worker's /health, a key accepted or refused). A worker
   * answers these from memory in milliseconds, so 5 s means a stalled connection, not a slow
   * worker; the loop around it then asks again while its own deadline lasts.
   */
  probe: 5_000,
  /**
   * A change made through the API (a deployment, new secrets, which are a deployment too) reaches
   * Cloudflare's locations over seconds while the old version answers. A deploy waits this long for
   * the new version to serve /health, a rotation for the worker to accept the new key and refuse the
   * old; past it the change counts as not serving (the wave fails verification, the rotation is unproven).
   */
  propagation: 30_000,
  /**
   * One request of `verify` (the default of its --timeout). Longer than a probe because the worker
   * may start cold and an MCP session takes a few round trips; 10 s is well past a cold start.
   */
  verifyRequest: 10_000,
  /**
   * Opening a tail's WebSocket: one handshake, so 30 s allows a slow network; then `logs` reports the
   * client, or under --follow tries again with its backoff.
   */
  tailOpen: 30_000,
  /** `wrangler deploy --dry-run` bundles locally in seconds: past 5 minutes it is stuck. */
  wranglerBuild: 5 * 60_000,
  /** `wrangler deploy` uploads and waits for Cloudflare, which can take minutes on a slow link; past 10 it is stuck. */
  wranglerDeploy: 10 * 60_000,
  /** A timed-out wrangler gets SIGTERM, then SIGKILL this much later: time to remove its temp files, not to finish. */
  killGrace: 5_000,
} as const;
