import { APIError } from 'cloudflare';
import { createSdk, toFleetError } from '../../cloudflare/api.js';
import type { Target } from '../../cloudflare/target.js';
import { describeError } from '../../util/errors.js';
import {
  type DoctorCheck,
  type FleetFeatures,
  fail,
  type NeededPermission,
  neededPermissions,
  ok,
  permissionChecks,
  TOKEN_EDITOR,
  warn,
} from './checks.js';

/**
 * The token's part, through the Cloudflare SDK: is it valid (token verify), does it reach the
 * account, and does it hold the permission groups the project's features need (read from the
 * token's own policies; a token that may not read them gets a warning listing what to check).
 */

const TOKEN_FIX = `Create a token at ${TOKEN_EDITOR} from the "Edit Cloudflare Workers" template, then export CLOUDFLARE_API_TOKEN=… (never pass it as a flag)`;

type Sdk = ReturnType<typeof createSdk>;

/** A user token verifies at /user/tokens/verify; an account-owned token only at /accounts/:id/tokens/verify. */
async function verifyToken(sdk: Sdk, accountId: string): Promise<{ id: string; status: string; owner: 'user' | 'account' }> {
  try {
    const verified = await sdk.user.tokens.verify();
    return { id: verified.id, status: verified.status, owner: 'user' };
  } catch (error) {
    if (!(error instanceof APIError) || error.status !== 401) throw error;
    const verified = await sdk.accounts.tokens.verify({ account_id: accountId });
    return { id: verified.id, status: verified.status, owner: 'account' };
  }
}

/** The permission groups the token's allow policies name; undefined when the token may not read itself. */
async function heldPermissions(
  sdk: Sdk,
  token: { id: string; owner: 'user' | 'account' },
  accountId: string,
): Promise<string[] | undefined> {
  try {
    const details =
      token.owner === 'user' ? await sdk.user.tokens.get(token.id) : await sdk.accounts.tokens.get(token.id, { account_id: accountId });
    const names = new Set<string>();
    for (const policy of details.policies ?? []) {
      if (policy.effect !== 'allow') continue;
      for (const group of policy.permission_groups ?? []) if (group.name) names.add(group.name);
    }
    return [...names];
  } catch (error) {
    if (error instanceof APIError && (error.status === 401 || error.status === 403)) return undefined;
    throw error;
  }
}

function unreadable(needed: readonly NeededPermission[]): DoctorCheck {
  const list = needed.map((permission) => `"${permission.dashboard}"${permission.required ? '' : ' (optional)'}`).join(', ');
  return warn(
    'token.permissions',
    'token permissions',
    'the token may not read its own permissions (that needs "User → API Tokens → Read"), so they could not be checked',
    `Check at ${TOKEN_EDITOR} that the token has ${list}`,
  );
}

export async function tokenChecks(target: Target, features: FleetFeatures | undefined): Promise<DoctorCheck[]> {
  const sdk = createSdk(target);
  const where = target.kind === 'local' ? 'the local edge' : target.apiBaseUrl;
  let token: Awaited<ReturnType<typeof verifyToken>>;
  try {
    token = await verifyToken(sdk, target.accountId);
  } catch (error) {
    const refused = error instanceof APIError && (error.status === 401 || error.status === 403);
    const failure = toFleetError(error, 'verifying the token', target);
    return [
      refused
        ? fail('token', 'API token', `${where} refused the token (invalid, deleted or expired)`, TOKEN_FIX)
        : fail('token', 'API token', failure.message, failure.hint ?? 'Re-run doctor.'),
    ];
  }
  if (token.status !== 'active') return [fail('token', 'API token', `the token is ${token.status}`, `Create a new token: ${TOKEN_FIX}`)];
  const checks: DoctorCheck[] = [ok('token', 'API token', `valid and active (${token.owner} token ${token.id}, ${where})`)];

  try {
    await sdk.workers.scripts.list({ account_id: target.accountId });
    checks.push(ok('account', 'account', `the token reaches the workers of account ${target.accountId}`));
  } catch (error) {
    checks.push(
      fail(
        'account',
        'account',
        `the token cannot list the workers of account ${target.accountId}: ${describeError(toFleetError(error, 'listing workers', target))}`,
        'Set CLOUDFLARE_ACCOUNT_ID (or "account_id" in wrangler.jsonc) to the account the token is for; find it with: npx wrangler whoami',
      ),
    );
  }

  const needed = neededPermissions(features);
  const held = await heldPermissions(sdk, token, target.accountId).catch((error: unknown) => {
    checks.push(
      warn('token.permissions', 'token permissions', describeError(toFleetError(error, 'reading the token', target)), 'Re-run doctor.'),
    );
    return null;
  });
  if (held === undefined) checks.push(unreadable(needed));
  else if (held !== null) checks.push(...permissionChecks(held, needed));
  return checks;
}
