import type { CommandGroup } from '../define.js';
import { defineCommand, requiredArg } from '../define.js';
import { targetOptions, text } from '../options.js';

export const usersGroup: CommandGroup = {
  name: 'users',
  description: 'the people of a client in oauth mode: invite one, see who signed in and when they last called, revoke one alone',
};

export const usersInvite = defineCommand({
  name: 'users invite',
  description: "a one-time code a person enters on the client's sign-in page (only its hash is kept); 1 API call",
  args: [requiredArg('client', 'the client'), requiredArg('email', 'the person it is for; their calls carry it as the subject')],
  options: { ttl: text('--ttl <duration>', 'how long the code can be redeemed: 5m to 30d (default 7d)'), ...targetOptions },
  examples: [{ args: 'users invite acme alice@acme.example', what: 'a code for Alice, valid 7 days, shown once' }],
  access: 'read',
  run: async ({ args, flags, ctx }) => {
    const [{ identityRun }, { invitePerson, INVITE_TTL_RANGE }, { parseDuration }] = await Promise.all([
      import('../run/identity.js'),
      import('../../ops/identity/users.js'),
      import('../../util/duration.js'),
    ]);
    const ttlSeconds = parseDuration(flags.ttl ?? '7d', '--ttl', INVITE_TTL_RANGE);
    const run = await identityRun(ctx, args.client, flags);
    const { code, invitation } = await invitePerson({ ...run, email: args.email, ttlSeconds });
    ctx.output.result((await import('../../ui/json/identity.js')).inviteJson(invitation, code));
    if (!ctx.output.json) process.stdout.write(`${code}\n`);
    ctx.output.warn(
      `invitation for ${invitation.email} at ${invitation.client}, valid until ${invitation.expiresAt}; shown once: send it to them, they enter it when their MCP host opens the sign-in page`,
    );
    return undefined;
  },
});

export const usersList = defineCommand({
  name: 'users list',
  description: 'who holds grants at a client, how they signed in, when they last called, and open invitations; 4 API calls',
  args: [requiredArg('client', 'the client')],
  options: { ...targetOptions },
  examples: [{ args: 'users list acme --json', what: "acme's people, as JSON" }],
  access: 'read',
  run: async ({ args, flags, ctx }) => {
    const [{ identityRun }, { listPeople }, { renderPeople }] = await Promise.all([
      import('../run/identity.js'),
      import('../../ops/identity/users.js'),
      import('../../ui/identity-report.js'),
    ]);
    const run = await identityRun(ctx, args.client, flags);
    const people = await listPeople(run);
    ctx.output.result((await import('../../ui/json/identity.js')).peopleJson(run.client.name, people));
    ctx.output.info(renderPeople(run.client.name, people));
    return undefined;
  },
});

export const usersRevoke = defineCommand({
  name: 'users revoke',
  description: "offboard one person: their grants, tokens and invitations go, their next call is refused, everyone else's still works",
  args: [requiredArg('client', 'the client'), requiredArg('email', 'the person')],
  options: { ...targetOptions },
  examples: [{ args: 'users revoke acme bob@acme.example', what: "Bob's access to acme, at once" }],
  access: 'read',
  run: async ({ args, flags, ctx }) => {
    const [{ identityRun }, { revokePerson }] = await Promise.all([import('../run/identity.js'), import('../../ops/identity/users.js')]);
    const run = await identityRun(ctx, args.client, flags);
    const revoked = await revokePerson({ ...run, email: args.email });
    ctx.output.result((await import('../../ui/json/identity.js')).revokedJson(revoked));
    ctx.output.success(
      `revoked ${revoked.email} at ${revoked.client} (${revoked.removed} grant and token record${revoked.removed === 1 ? '' : 's'} deleted)`,
    );
    return undefined;
  },
});
