import { Command } from 'commander';
import { describe, expect, test } from 'vitest';
import { COMMAND_GROUPS, COMMANDS } from '../../src/cli/commands/index.js';
import type { DeclaredCommand } from '../../src/cli/define.js';
import { ENVIRONMENT } from '../../src/cli/help.js';
import { buildProgram } from '../../src/cli/main.js';
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

describe('--help shows examples and the environment', () => {
  /** The program with every handler replaced by one that notes which command ran (no lock, no output). */
  function stubbed(ran: string[]): Command {
    const stubs: DeclaredCommand[] = COMMANDS.map((spec) => ({
      ...spec,
      access: 'none',
      run: async () => {
        ran.push(spec.name);
        return undefined;
      },
    }));
    const root = new Command('mcp-fleet').option('-C, --cwd <dir>').option('--json').exitOverride();
    registerCommands(root, COMMAND_GROUPS, stubs);
    const quiet = (command: Command): void => {
      command.exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
      for (const sub of command.commands) quiet(sub);
    };
    quiet(root);
    return root;
  }

  test('every command has examples, each naming the command and parsing with its declared options', async () => {
    for (const spec of COMMANDS) {
      expect(spec.examples.length, spec.name).toBeGreaterThan(0);
      for (const example of spec.examples) {
        expect(example.what, spec.name).not.toBe('');
        expect(`${example.args} `.startsWith(`${spec.name} `), `${spec.name}: ${example.args}`).toBe(true);
        const ran: string[] = [];
        await stubbed(ran).parseAsync(['node', 'mcp-fleet', ...example.args.split(' ')]);
        expect(ran, example.args).toEqual([spec.name]);
      }
    }
  });

  test("a command's --help ends with its examples as a person types them; Cloudflare commands name the two variables", () => {
    const help = (name: string): string => {
      let text = '';
      const root = buildProgram();
      const command = find(root, name);
      command.configureOutput({ writeOut: (chunk) => (text += chunk) });
      command.outputHelp();
      return text;
    };
    const deploy = help('deploy');
    // The program is named as this process was started (here: the test runner), as in every hint.
    expect(deploy).toMatch(/\nExamples:\n {2}# .+\n {2}.+ deploy --all --plan\n/);
    expect(deploy).toContain('CLOUDFLARE_API_TOKEN');
    expect(deploy).toContain('CLOUDFLARE_ACCOUNT_ID');
    expect(help('add')).toMatch(/\n {2}UPSTREAM_TOKEN=tok-acme .+ add acme --from-env\n/);
    expect(help('local stop')).not.toContain('CLOUDFLARE_API_TOKEN');
  });

  test('the top-level --help has an Environment section naming CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID', () => {
    let text = '';
    const root = buildProgram();
    root.configureOutput({ writeOut: (chunk) => (text += chunk) });
    root.outputHelp();
    const environment = text.slice(text.indexOf('\nEnvironment:\n'));
    expect(environment).not.toBe(text);
    for (const [name] of ENVIRONMENT) expect(environment).toMatch(new RegExp(`\\n {2}${name} +\\S`));
    expect(ENVIRONMENT.map(([name]) => name)).toEqual(
      expect.arrayContaining(['CLOUDFLARE_API_TOKEN', 'CLOUDFLARE_ACCOUNT_ID', 'MCP_FLEET_AGE_IDENTITY', 'MCP_FLEET_AGE_IDENTITY_FILE']),
    );
  });
});
