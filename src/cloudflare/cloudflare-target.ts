import { usageError } from '../util/errors.js';
import type { Target } from './target.js';

export const DEFAULT_API_BASE_URL = 'https://api.cloudflare.com/client/v4';

const TOKEN_HINT =
  'Create a token at dash.cloudflare.com → My Profile → API Tokens with the "Workers Scripts: Edit" permission (template "Edit Cloudflare Workers"), then export CLOUDFLARE_API_TOKEN=… (never pass it as a flag). Or use --local for the local edge.';

export interface CloudflareTargetOptions {
  env: NodeJS.ProcessEnv;
  /** account_id from wrangler.jsonc, used when CLOUDFLARE_ACCOUNT_ID is not set. */
  configAccountId: string | undefined;
}

/** The real Cloudflare API: token from the environment only, account from env or config. */
export function cloudflareTarget(options: CloudflareTargetOptions): Target {
  const token = options.env.CLOUDFLARE_API_TOKEN;
  if (!token) throw usageError('CLOUDFLARE_API_TOKEN is not set', TOKEN_HINT);
  const accountId = options.env.CLOUDFLARE_ACCOUNT_ID || options.configAccountId;
  if (!accountId) {
    throw usageError(
      'no Cloudflare account id: set CLOUDFLARE_ACCOUNT_ID or "account_id" in wrangler.jsonc',
      'Find it on the dashboard (Workers & Pages → Account details), or run: npx wrangler whoami',
    );
  }
  const apiBaseUrl = (options.env.CLOUDFLARE_API_BASE_URL || DEFAULT_API_BASE_URL).replace(/\/+$/, '');
  let subdomain: Promise<string> | undefined;
  const target: Target = {
    kind: 'cloudflare',
    apiBaseUrl,
    accountId,
    token,
    workerUrl(workerName) {
      // One API call per command, however many workers: the account's workers.dev subdomain.
      // The SDK takes ~0.4 s to load, so it is imported only when a URL is needed; the call goes
      // through the shared pacer like every other API call.
      subdomain ??= import('./api.js')
        .then(({ createSdk }) => createSdk(target).workers.subdomains.get({ account_id: accountId }))
        .then((result) => result.subdomain);
      return subdomain.then((name) => `https://${workerName}.${name}.workers.dev`);
    },
    childEnv() {
      return { CLOUDFLARE_API_TOKEN: token, CLOUDFLARE_ACCOUNT_ID: accountId, CLOUDFLARE_API_BASE_URL: apiBaseUrl };
    },
  };
  return target;
}
