import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { chooseTarget, explicitChoice, targetArgs } from '../../src/cloudflare/target-choice.js';
import { forgetRememberedTarget, rememberedTargetPath, rememberLocalTarget } from '../../src/local/lifecycle/remembered-target.js';
import { targetLine } from '../../src/ui/target-line.js';

/** Which target a command acts on: --local/--remote, then MCP_FLEET_TARGET, then what `local start` remembered, then Cloudflare. */

const none = { local: false, remote: false };
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcp-fleet-target-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('the target a command acts on', () => {
  test('a flag beats the environment, the environment beats the project, the project beats Cloudflare', async () => {
    expect(await chooseTarget(dir, none, {})).toEqual({ kind: 'cloudflare', by: 'default', localRemembered: false });
    await rememberLocalTarget(dir);
    expect(await chooseTarget(dir, none, {})).toEqual({ kind: 'local', by: 'project', localRemembered: true });
    expect(await chooseTarget(dir, none, { MCP_FLEET_TARGET: 'cloudflare' })).toEqual({
      kind: 'cloudflare',
      by: 'environment',
      localRemembered: true,
    });
    expect(await chooseTarget(dir, { local: false, remote: true }, { MCP_FLEET_TARGET: 'local' })).toEqual({
      kind: 'cloudflare',
      by: 'flag',
      localRemembered: true,
    });
    expect(await forgetRememberedTarget(dir)).toBe(true);
    expect(await forgetRememberedTarget(dir)).toBe(false);
    expect(await chooseTarget(dir, none, { MCP_FLEET_TARGET: 'local' })).toEqual({
      kind: 'local',
      by: 'environment',
      localRemembered: false,
    });
  });

  test('contradictions and unknown values are bad usage naming the flag or variable; a broken record is too, unless a flag decides', async () => {
    expect(() => explicitChoice({ local: true, remote: true }, {})).toThrow(/--local and --remote/);
    expect(() => explicitChoice(none, { MCP_FLEET_TARGET: 'prod' })).toThrow(/MCP_FLEET_TARGET=prod: expected local or cloudflare/);
    await rememberLocalTarget(dir);
    await writeFile(rememberedTargetPath(dir), 'not json');
    await expect(chooseTarget(dir, none, {})).rejects.toThrow(/does not say which target/);
    expect((await chooseTarget(dir, { local: true, remote: false }, {})).kind).toBe('local');
  });

  test('next steps carry the flag when a flag or the environment chose, and nothing when the project did', () => {
    expect(targetArgs({ local: true, remote: false }, {})).toEqual(['--local']);
    expect(targetArgs({ local: false, remote: true }, {})).toEqual(['--remote']);
    expect(targetArgs(none, { MCP_FLEET_TARGET: 'local' })).toEqual(['--local']);
    expect(targetArgs(none, { MCP_FLEET_TARGET: 'cloudflare' })).toEqual(['--remote']);
    expect(targetArgs(none, {})).toEqual([]);
  });

  test('the line a command starts with names the target and what chose it', () => {
    const edge = { kind: 'local' as const, accountId: 'local', apiBaseUrl: 'http://127.0.0.1:8787/client/v4' };
    expect(targetLine(edge, { kind: 'local', by: 'project', localRemembered: true })).toBe(
      "target: the local edge on 127.0.0.1:8787 (this project's default since local start; --remote acts on Cloudflare)",
    );
    const cloudflare = { kind: 'cloudflare' as const, accountId: 'abc123', apiBaseUrl: undefined };
    expect(targetLine(cloudflare, { kind: 'cloudflare', by: 'flag', localRemembered: true })).toBe(
      "target: Cloudflare, account abc123 (--remote); this project's default is the local edge",
    );
    expect(targetLine(cloudflare, { kind: 'cloudflare', by: 'default', localRemembered: false })).toBe(
      'target: Cloudflare, account abc123',
    );
  });
});
