import { Command } from 'commander';
import { describe, expect, test } from 'vitest';
import { COMMAND_GROUPS, COMMANDS } from '../../src/cli/commands/index.js';
import { registerCommands } from '../../src/cli/register.js';

/** The commands as a user meets them: built from their declarations, as `mcp-fleet --help` shows them. */
function program(): Command {
  const root = new Command('mcp-fleet').exitOverride();
  registerCommands(root, COMMAND_GROUPS, COMMANDS);
  return root;
}

function find(root: Command, name: string): Command {
  let current = root;
  for (const word of name.split(' ')) {
    const next = current.commands.find((command) => command.name() === word);
    if (!next) throw new Error(`no command ${name}`);
    current = next;
  }
  return current;
}

const longFlags = (command: Command) => command.options.map((option) => option.long);

describe('commands are declared once, each the same way', () => {
  test('every declaration registers (its option keys are the names commander gives the flags)', () => {
    const root = program();
    for (const spec of COMMANDS) expect(find(root, spec.name).description()).toBe(spec.description);
  });

  test('--yes exists only where a command asks something: add, remove, connect, secrets rotate', () => {
    const root = program();
    const withYes = COMMANDS.filter((spec) => longFlags(find(root, spec.name)).includes('--yes')).map((spec) => spec.name);
    expect(withYes.sort()).toEqual(['add', 'connect', 'remove', 'secrets rotate']);
  });

  test('--no-wait exists exactly on the commands that write (they hold the project lock)', () => {
    const root = program();
    for (const spec of COMMANDS) {
      expect(longFlags(find(root, spec.name)).includes('--no-wait'), spec.name).toBe(spec.access === 'write');
    }
    expect(COMMANDS.filter((spec) => spec.access === 'read').map((spec) => spec.name)).toEqual(
      expect.arrayContaining(['list', 'verify', 'secrets status', 'status', 'connect', 'logs', 'metrics']),
    );
  });

  test('--local is worded one way everywhere', () => {
    const root = program();
    const wordings = new Set(
      COMMANDS.flatMap((spec) => find(root, spec.name).options.filter((option) => option.long === '--local')).map((o) => o.description),
    );
    expect(wordings.size).toBe(1);
  });

  test('a bad flag value is exit 2 naming the flag, before anything runs', async () => {
    const root = program();
    await expect(root.parseAsync(['node', 'mcp-fleet', 'deploy', '--all', '--concurrency', '0'])).rejects.toMatchObject({
      exitCode: 2,
      message: '--concurrency 0: expected a whole number from 1 to 64',
    });
    await expect(root.parseAsync(['node', 'mcp-fleet', 'verify', '--all', '--timeout', 'soon'])).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('--timeout soon'),
    });
  });
});
