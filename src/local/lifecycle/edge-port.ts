/** The edge's port unless asked for another: wrangler dev's default too, so `local start` moves off it when it is taken. */
export const DEFAULT_EDGE_PORT = 8787;
