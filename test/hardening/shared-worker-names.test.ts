import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';

/**
 * Two env sections that deploy one worker: the same "name", or a "name" that is another env's key
 * (the worker of an env without a name). Before, they were accepted: a deploy of one made the
 * other's worker serve with its secrets, and `remove y --delete-worker` deleted client x's live
 * worker. Every command that loads the fleet refuses them, naming both sections with file and
 * line, and nothing changes, locally or on the edge.
 */

let fleet: TestFleet;
let xKey: string;

beforeAll(async () => {
  fleet = await createTestFleet('shared-worker', ['x']);
  const deployed = await fleet.cli(['deploy', 'x', '--local', '--no-verify']);
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.stdout}\n${deployed.stderr}`);
  xKey = (await fleet.secrets('x')).get('API_KEY') as string;
}, 300_000);

afterAll(() => closeTestFleet(fleet));

const configPath = () => join(fleet.dir, 'wrangler.jsonc');

/** `path:line:column` (1-based) of the first `needle` after the first `after` in `text`. */
function positionOf(text: string, needle: string, after: string): string {
  const offset = text.indexOf(needle, text.indexOf(after) + after.length);
  expect(offset, `${needle} after ${after}`).toBeGreaterThan(0);
  const before = text.slice(0, offset);
  return `${configPath()}:${before.split('\n').length}:${offset - before.lastIndexOf('\n')}`;
}

/** The project's files (config, secrets files, what remove keeps) and the edge's workers, to prove nothing changed. */
async function state(): Promise<{ files: Record<string, string>; workers: (string[] | undefined)[] }> {
  const files: Record<string, string> = {};
  for (const name of await readdir(fleet.dir)) {
    if (name === 'wrangler.jsonc' || name.startsWith('.secrets.')) files[name] = await readFile(join(fleet.dir, name), 'utf8');
  }
  const removed = await readdir(join(fleet.dir, '.mcp-fleet', 'removed')).catch(() => []);
  files['removed/'] = removed.join(',');
  return { files, workers: [await fleet.remoteSecrets('x'), await fleet.remoteSecrets('y')] };
}

/** Adds client y (its own secrets file), then makes env.y deploy worker x; undone when the test ends. */
async function yDeploysX(edit: (config: string) => string): Promise<string> {
  const original = await readFile(configPath(), 'utf8');
  onTestFinished(async () => {
    await writeFile(configPath(), original);
    await rm(join(fleet.dir, '.secrets.y'), { force: true });
  });
  await fleet.add('y');
  const edited = edit(await readFile(configPath(), 'utf8'));
  await writeFile(configPath(), edited);
  return edited;
}

const COMMANDS = [
  ['list'],
  ['deploy', 'y', '--local'],
  ['deploy', '--all', '--local'],
  ['secrets', 'push', 'y', '--local'],
  ['secrets', 'rotate', 'y', '--local'],
  ['verify', 'x', '--local'],
  ['status', '--all', '--local'],
  ['connect', 'y', '--for', 'json', '--local'],
  ['upgrade-config', '--all'],
  ['remove', 'y', '--delete-worker', '--local', '--yes'],
  ['remove', 'x', '--keep-worker', '--yes'],
  ['add', 'z', '--yes'],
  ['restore', 'z'],
];

describe('two env sections that deploy one worker are refused everywhere', () => {
  test('the same "name": every command is exit 2 naming both sections with file and line; x keeps its worker and its own key', async () => {
    const config = await yDeploysX((text) => text.replace('"name": "y"', '"name": "x"'));
    const yAt = positionOf(config, '"x"', '"y": {');
    const xAt = positionOf(config, '"x"', '"x": {');
    const before = await state();
    for (const args of COMMANDS) {
      const result = await fleet.cli(args);
      expect(result.exitCode, `${args.join(' ')}\n${result.stderr}`).toBe(2);
      expect(result.stderr, args.join(' ')).toContain(`${yAt}: env.y deploys worker "x", and so does env.x (${xAt})`);
      expect(result.stderr).not.toMatch(/this is a bug|unexpected error/i);
    }
    expect(await state()).toEqual(before);
    expect(await fleet.accepts('x', xKey)).toBe(true);
  });

  test('a "name" that is another env\'s key (its worker when it has none) is refused the same way', async () => {
    const config = await yDeploysX((text) =>
      text.replace('"name": "y"', '"name": "solo"').replace('"env": {', '"env": {\n    "solo": { "vars": { "CLIENT_ID": "solo" } },'),
    );
    await writeFile(join(fleet.dir, '.secrets.solo'), await readFile(join(fleet.dir, '.secrets.y')), { mode: 0o600 });
    onTestFinished(() => rm(join(fleet.dir, '.secrets.solo'), { force: true }));
    const soloAt = positionOf(config, '"solo"', '"env": {');
    const yAt = positionOf(config, '"solo"', '"y": {');
    for (const args of [['list'], ['deploy', 'solo', '--local'], ['remove', 'y', '--delete-worker', '--local', '--yes']]) {
      const result = await fleet.cli(args);
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr).toContain(`${yAt}: env.y deploys worker "solo", and so does env.solo (${soloAt})`);
    }
    expect(await fleet.remoteSecrets('solo')).toBeUndefined();
  });

  test('restore refuses to bring back a section whose worker another client deploys now', async () => {
    const original = await readFile(configPath(), 'utf8');
    onTestFinished(async () => {
      await writeFile(configPath(), original);
      for (const name of ['.secrets.w', '.secrets.v']) await rm(join(fleet.dir, name), { force: true });
    });
    await fleet.add('w');
    expect((await fleet.cli(['remove', 'w', '--keep-worker', '--yes'])).exitCode).toBe(0);
    await fleet.add('v');
    await writeFile(configPath(), (await readFile(configPath(), 'utf8')).replace('"name": "v"', '"name": "w"'));
    const before = await state();
    const result = await fleet.cli(['restore', 'w']);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toContain('env.w deploys worker "w", and so does env.v');
    expect(await state()).toEqual(before);
  });
});
