/**
 * What the worker gets from its environment. Plain settings arrive as `vars`
 * (wrangler.jsonc), credentials as secrets (`wrangler secret put` /
 * `mcp-fleet secrets push`), metrics as an Analytics Engine binding.
 */
export interface Env {
  /** The client this worker serves; set by `mcp-fleet add` in `vars`. */
  CLIENT_ID: string;
  /** Base URL of the client's upstream API; optional, set in `vars`. */
  UPSTREAM_URL?: string;
  /**
   * Browser origins allowed to call /mcp, e.g. "https://app.acme.example, http://localhost:6274";
   * optional, set in `vars`. Without it only clients that send no Origin (MCP hosts, CLIs,
   * servers) get in: any page in a browser is refused, whatever key it holds.
   */
  ALLOWED_ORIGINS?: string;
  /** Secret: the bearer key callers must present on /mcp. */
  API_KEY?: string;
  /**
   * Secret, optional: the key before the last rotation, still accepted during a grace period
   * (`mcp-fleet secrets rotate --grace`) until `mcp-fleet secrets retire` removes it.
   */
  API_KEY_PREVIOUS?: string;
  /** Secret: the client's own credential for the upstream API. */
  UPSTREAM_TOKEN?: string;
  /**
   * The version this worker runs (`version_metadata` in wrangler.jsonc). /health reports its id,
   * so a rollout can tell the new version answering from the old one still propagating.
   */
  CF_VERSION_METADATA?: { id: string; tag: string; timestamp: string };
  /** Per-client metrics dataset (`<client>_metrics`); absent in some local runs. */
  ANALYTICS?: AnalyticsEngineDataset;
}

/** The part of Cloudflare's Analytics Engine binding this worker uses. */
export interface AnalyticsEngineDataset {
  writeDataPoint(point: { indexes?: string[]; blobs?: string[]; doubles?: number[] }): void;
}

/** The part of the Workers ExecutionContext this worker uses. */
export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

/**
 * Secrets a client's worker cannot run without. Mirrors the keys of
 * `.secrets.template` (which mcp-fleet fills per client and pushes): change
 * both together. Without any one of them the worker answers 503 rather than
 * run half-configured.
 */
export const REQUIRED_SECRETS = ['API_KEY', 'UPSTREAM_TOKEN'] as const;

export type RequiredSecret = (typeof REQUIRED_SECRETS)[number];

/** Names (never values) of required secrets that are unset or empty. */
export function missingSecrets(env: Env): RequiredSecret[] {
  return REQUIRED_SECRETS.filter((name) => {
    const value = env[name];
    return typeof value !== 'string' || value.length === 0;
  });
}
