/**
 * The worker's entry (wrangler.jsonc `main`). Your tools are in src/tools.ts; everything a request
 * passes through before it reaches one (routing, origin and key checks, the MCP transports,
 * /health and /ready, metrics) is in src/platform/ and rarely needs a change.
 */
export { default } from './platform/worker';
