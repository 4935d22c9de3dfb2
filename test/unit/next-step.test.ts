import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { cliInvocation } from '../../src/cli/invocation.js';
import { commandLine, commandLineIn, setInvocation } from '../../src/util/next-step.js';

const targeted = new Set(['deploy', 'verify', 'secrets rotate', 'add']);

afterEach(() => setInvocation({ program: 'mcp-fleet', global: [], target: [], targeted: new Set() }));

describe('next steps run as printed', () => {
  test('they carry the program as it was started, the project named with -C and --local where the command takes it', () => {
    setInvocation({ program: 'node bin/mcp-fleet.js', global: ['-C', '../my fleet'], target: ['--local'], targeted });
    expect(commandLine('deploy', 'acme')).toBe("node bin/mcp-fleet.js -C '../my fleet' deploy acme --local");
    expect(commandLine('secrets', 'rotate', 'acme', '--key', 'UPSTREAM_TOKEN')).toBe(
      "node bin/mcp-fleet.js -C '../my fleet' secrets rotate acme --key UPSTREAM_TOKEN --local",
    );
    // `local start` takes no --local; init acts on the directory it names.
    expect(commandLine('local', 'start', '--detach')).toBe("node bin/mcp-fleet.js -C '../my fleet' local start --detach");
    expect(commandLineIn('/tmp/new', 'add', '<client>')).toBe('node bin/mcp-fleet.js -C /tmp/new add <client> --local');
  });

  test('a hostile client name is quoted, a placeholder is left for a person to fill in', () => {
    setInvocation({ program: 'mcp-fleet', global: [], target: [], targeted });
    expect(commandLine('deploy', "a'b; rm -rf ~")).toBe(`mcp-fleet deploy 'a'\\''b; rm -rf ~'`);
    expect(commandLine('rollback', '<client>', '--to', '<version-id>')).toBe('mcp-fleet rollback <client> --to <version-id>');
  });

  test('started by npm from node_modules, the steps say npx mcp-fleet', () => {
    const script = join('/work', 'proj', 'node_modules', 'mcp-fleet', 'bin', 'mcp-fleet.js');
    expect(cliInvocation({ PATH: '/nonexistent', npm_command: 'run-script' }, script)).toBe('npx mcp-fleet');
    expect(cliInvocation({ PATH: '/nonexistent' }, script, '/elsewhere')).toBe(`node ${script}`);
  });

  test('a checkout run from its own directory says node bin/mcp-fleet.js', () => {
    expect(cliInvocation({ PATH: '/nonexistent' }, '/repo/bin/mcp-fleet.js', '/repo')).toBe('node bin/mcp-fleet.js');
  });
});
