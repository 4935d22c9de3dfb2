import type { CommandGroup } from '../define.js';
import { defineCommand, optionalArg, requiredArg } from '../define.js';
import { targetOptions, text } from '../options.js';

export const tokensGroup: CommandGroup = {
  name: 'tokens',
  description: "per-person tokens for a client in jwt mode: signed with the client's key, which never leaves its secrets file",
};

export const tokensIssue = defineCommand({
  name: 'tokens issue',
  description: "a token for one person at a client, valid at that client's worker only, until it expires or is revoked; 1 API call",
  args: [requiredArg('client', 'the client whose worker takes the token')],
  options: {
    sub: text('--sub <subject>', 'who the token is for (their email); whoami shows it as the subject'),
    ttl: text('--ttl <duration>', 'how long it is valid: 5m to 365d (default 30d)'),
    ...targetOptions,
  },
  examples: [
    { args: 'tokens issue acme --sub alice@acme.example --ttl 30d', what: 'a 30-day token for Alice at acme (shown once)' },
    { args: 'tokens issue acme --sub ci@acme.example --ttl 1h --json', what: 'a short one for a script, as JSON' },
  ],
  access: 'read',
  run: async ({ args, flags, ctx }) => {
    const [{ identityRun, workerOrigin }, { issueToken, TTL_RANGE }, { parseDuration }, { usageError }] = await Promise.all([
      import('../run/identity.js'),
      import('../../ops/identity/tokens.js'),
      import('../../util/duration.js'),
      import('../../util/errors.js'),
    ]);
    if (flags.sub === undefined) throw usageError('tokens issue: --sub <subject> is required (who the token is for)');
    const ttlSeconds = parseDuration(flags.ttl ?? '30d', '--ttl', TTL_RANGE);
    const run = await identityRun(ctx, args.client, flags);
    const { token, issued } = await issueToken({ ...run, subject: flags.sub, ttlSeconds, origin: await workerOrigin(run) });
    ctx.output.result((await import('../../ui/json/identity.js')).tokenIssuedJson(issued, token));
    // The token goes to stdout alone, so `$(mcp-fleet tokens issue …)` captures it; the rest is for the person at the terminal.
    if (!ctx.output.json) process.stdout.write(`${token}\n`);
    ctx.output.warn(
      `token ${issued.jti} for ${issued.subject} at ${issued.client}, valid until ${issued.expiresAt}; shown once, kept nowhere`,
    );
    return undefined;
  },
});

export const tokensList = defineCommand({
  name: 'tokens list',
  description: 'the tokens issued for a client that have not expired, and whether each is revoked; 2 API calls',
  args: [requiredArg('client', 'the client')],
  options: { ...targetOptions },
  examples: [{ args: 'tokens list acme', what: "acme's live tokens: id, subject, issued, expires, revoked" }],
  access: 'read',
  run: async ({ args, flags, ctx }) => {
    const [{ identityRun }, { listTokens }, { renderTokens }] = await Promise.all([
      import('../run/identity.js'),
      import('../../ops/identity/tokens.js'),
      import('../../ui/identity-report.js'),
    ]);
    const run = await identityRun(ctx, args.client, flags);
    const tokens = await listTokens(run);
    ctx.output.result((await import('../../ui/json/identity.js')).tokensJson(run.client.name, tokens));
    ctx.output.info(renderTokens(run.client.name, tokens));
    return undefined;
  },
});

export const tokensRevoke = defineCommand({
  name: 'tokens revoke',
  description: "refuse one token (by id) or every token of a person (--sub) at a client's worker from the next call on; 1 API call",
  args: [requiredArg('client', 'the client'), optionalArg('jti', 'the token id (tokens list shows it)')],
  options: { sub: text('--sub <subject>', 'revoke every token issued to this person so far'), ...targetOptions },
  examples: [
    { args: 'tokens revoke acme --sub alice@acme.example', what: 'every token Alice holds at acme' },
    { args: 'tokens revoke acme 0b6f4c1e-2f39-4d8e-9a55-1c7d3e2b9f00', what: 'one token' },
  ],
  access: 'read',
  run: async ({ args, flags, ctx }) => {
    const [{ identityRun }, { revokeTokens }] = await Promise.all([
      import('../run/identity.js'),
      import('../../ops/identity/tokens.js'),
      import('../../util/errors.js'),
    ]);
    const run = await identityRun(ctx, args.client, flags);
    const revoked = await revokeTokens({ ...run, jti: args.jti, subject: flags.sub });
    ctx.output.result((await import('../../ui/json/identity.js')).revokedJson(revoked));
    ctx.output.success(
      `revoked ${revoked.jti ? `token ${revoked.jti}` : `every token of ${revoked.subject} issued so far`} at ${revoked.client}`,
    );
    return undefined;
  },
});
