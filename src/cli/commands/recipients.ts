import { type CommandGroup, defineCommand, requiredArg } from '../define.js';
import { text } from '../options.js';

export const recipientsGroup: CommandGroup = {
  name: 'recipients',
  description: 'who can open the sealed secrets files: the age keys in .secrets-recipients',
};

export const recipientsKeygen = defineCommand({
  name: 'recipients keygen',
  description: 'make a new age identity in a 0600 file and print its public key, for a teammate to add',
  args: [],
  options: { out: text('--out <file>', 'where to write it (default: ~/.config/mcp-fleet/age-identity.txt, where mcp-fleet looks)') },
  examples: [{ args: 'recipients keygen', what: 'your identity, and the age1… key to give the team' }],
  access: 'read',
  inCurrentDir: true,
  run: async ({ flags, ctx }) => {
    const [{ keygen }, { keygenJson }] = await Promise.all([import('../../ops/secrets/recipients.js'), import('../../ui/json/sealed.js')]);
    const made = await keygen(flags.out);
    ctx.output.result(keygenJson(made.path, made.recipient));
    ctx.output.info(
      `${made.recipient}\nIdentity written to ${made.path} (0600): keep it private, back it up. Give the line above to whoever adds you: mcp-fleet recipients add ${made.recipient} --name <you>`,
    );
    return undefined;
  },
});

export const recipientsList = defineCommand({
  name: 'recipients list',
  description: 'the age keys the sealed secrets files are encrypted to',
  args: [],
  options: {},
  examples: [{ args: 'recipients list --json', what: 'as JSON' }],
  access: 'read',
  run: async ({ ctx }) => {
    const [{ loadFleet }, { listRecipients }, { recipientsJson }] = await Promise.all([
      import('../../fleet/fleet.js'),
      import('../../ops/secrets/recipients.js'),
      import('../../ui/json/sealed.js'),
    ]);
    const recipients = await listRecipients(await loadFleet(ctx.cwd));
    ctx.output.result(recipientsJson(recipients));
    ctx.output.info(
      recipients.length === 0
        ? 'No recipients (.secrets-recipients is empty or absent): mcp-fleet recipients add <age1…> --name <who>'
        : recipients.map((entry) => `${entry.recipient}${entry.label ? `  ${entry.label}` : ''}`).join('\n'),
    );
    return undefined;
  },
});

export const recipientsAdd = defineCommand({
  name: 'recipients add',
  description: 'add an age key to .secrets-recipients and seal every sealed file again so it can open them',
  args: [requiredArg('recipient', 'an age public key (age1…)')],
  options: { name: text('--name <who>', 'who it is, kept beside the key') },
  examples: [{ args: 'recipients add age1… --name alice', what: 'alice can open every sealed file from the next commit' }],
  access: 'write',
  run: async ({ args, flags, ctx }) => {
    const [{ loadFleet }, { addRecipient }, { recipientsJson }, { renderRecipientsChange }] = await Promise.all([
      import('../../fleet/fleet.js'),
      import('../../ops/secrets/recipients.js'),
      import('../../ui/json/sealed.js'),
      import('../run/sealed.js'),
    ]);
    const change = await addRecipient(await loadFleet(ctx.cwd), args.recipient, flags.name);
    ctx.output.result(recipientsJson(change.recipients, change));
    ctx.output.info(renderRecipientsChange(change, 'added'));
    return change.resealed.some((result) => result.error) ? 1 : undefined;
  },
});

export const recipientsRemove = defineCommand({
  name: 'recipients remove',
  description: 'remove an age key (or its name) and seal every sealed file again without it; rotate what they saw',
  args: [requiredArg('recipient', 'the age1… key, or the name beside it')],
  options: {},
  examples: [{ args: 'recipients remove alice', what: 'alice cannot open the next seal of any file (rotate: she saw the old ones)' }],
  access: 'write',
  run: async ({ args, ctx }) => {
    const [{ loadFleet }, { removeRecipient }, { recipientsJson }, { renderRecipientsChange }] = await Promise.all([
      import('../../fleet/fleet.js'),
      import('../../ops/secrets/recipients.js'),
      import('../../ui/json/sealed.js'),
      import('../run/sealed.js'),
    ]);
    const change = await removeRecipient(await loadFleet(ctx.cwd), args.recipient);
    ctx.output.result(recipientsJson(change.recipients, change));
    ctx.output.info(renderRecipientsChange(change, 'removed'));
    return change.resealed.some((result) => result.error) ? 1 : undefined;
  },
});
