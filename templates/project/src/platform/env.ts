/**
 * What the worker gets from its environment. Plain settings arrive as `vars` (the client's
 * section of wrangler.jsonc), credentials as secrets (`mcp-fleet secrets push`; their names are
 * the keys of .secrets.template), metrics and version as bindings. The binding types
 * (AnalyticsEngineDataset, WorkerVersionMetadata) come from the Workers runtime's own types,
 * which `npm run types` writes to worker-configuration.d.ts.
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
  /**
   * How callers may prove who they are: a comma list of key, oauth, jwt (`mcp-fleet auth`); set in
   * `vars`. Without it the worker takes the key alone.
   */
  AUTH_MODES?: string;
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
   * Secret, optional: the HMAC key the worker signs its upstream requests with (RFC 9421), made by
   * `mcp-fleet add`; without it requests go unsigned. `UPSTREAM_SIGNING_KEY_PREVIOUS` is the key
   * before the last `secrets rotate --key UPSTREAM_SIGNING_KEY --grace`: requests carry a second
   * signature with it until `mcp-fleet secrets retire`.
   */
  UPSTREAM_SIGNING_KEY?: string;
  UPSTREAM_SIGNING_KEY_PREVIOUS?: string;
  /**
   * The version this worker runs (`version_metadata` in wrangler.jsonc). /health reports its id,
   * so a rollout can tell the new version answering from the old one still propagating.
   */
  CF_VERSION_METADATA?: WorkerVersionMetadata;
  /**
   * Public halves of the client's JWT signing keys (a JSON Web Key Set), derived by mcp-fleet from
   * the private keys that stay in .secrets.<client>; present when `jwt` is among AUTH_MODES.
   */
  JWT_PUBLIC_KEYS?: string;
  /** Set in `vars` ("true") to accept the key as `X-MCP-Secret: <API_KEY>` as well as a bearer token. */
  ACCEPT_SECRET_HEADER?: string;
  /** Seconds an OAuth access token lives (`vars`, optional; default 3600). */
  OAUTH_ACCESS_TTL?: string;
  /** Seconds an OAuth grant (its refresh token) lives (`vars`, optional; default 30 days). */
  OAUTH_REFRESH_TTL?: string;
  /** The people's own identity provider (OpenID Connect issuer URL) for federated sign-in (`vars`, optional). */
  OIDC_ISSUER?: string;
  /** Email domains allowed to sign in through OIDC_ISSUER, comma list (`vars`, optional). */
  OIDC_ALLOWED_DOMAINS?: string;
  /** Groups (the id_token's `groups` claim) allowed to sign in through OIDC_ISSUER, comma list (`vars`, optional). */
  OIDC_ALLOWED_GROUPS?: string;
  /** Secret, optional: this worker's client id at OIDC_ISSUER. */
  OIDC_CLIENT_ID?: string;
  /** Secret, optional: this worker's client secret at OIDC_ISSUER. */
  OIDC_CLIENT_SECRET?: string;
  /** The client's identity namespace: OAuth grants and tokens, invitations, token revocations. */
  OAUTH_KV?: KVNamespace;
  /** Per-client metrics dataset (`<client>_metrics`); absent in some local runs. */
  ANALYTICS?: AnalyticsEngineDataset;
  /**
   * Per-client rate limit (`ratelimits` in the client's section, written by `mcp-fleet add`); absent
   * means no limit. RATE_LIMIT ("<limit>/<period seconds>", in `vars`) is what the binding enforces,
   * so a 429's headers can say it.
   */
  RATE_LIMITER?: RateLimiter;
  RATE_LIMIT?: string;
}

/** The part of the Workers Rate Limiting binding the worker uses. */
export interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}
