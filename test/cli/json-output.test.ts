import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type FailureJson, SCHEMA_VERSION } from '../../src/ui/json/index.js';
import { type CliResult, runCli, tempDir } from '../helpers/cli.js';

/**
 * Under --json, stdout is one document with its schema version (list: an array whose every entry
 * has it) and the human text goes to stderr, for the commands that need no edge; the fleet commands'
 * documents are checked by every test that reads them (fleet.cliJson).
 */

let root: { dir: string; cleanup: () => Promise<void> };
let dir: string;

beforeAll(async () => {
  root = await tempDir('mcp-fleet-json-');
  dir = join(root.dir, 'fleet');
});
afterAll(() => root?.cleanup());

function documentOf(result: CliResult): unknown {
  const document: unknown = JSON.parse(result.stdout);
  for (const entry of Array.isArray(document) ? document : [document]) {
    expect((entry as { schemaVersion?: unknown }).schemaVersion, result.stdout).toBe(SCHEMA_VERSION);
  }
  return document;
}

describe('--json', () => {
  test('project commands: the document on stdout with its schema version, the human text on stderr', async () => {
    const init = await runCli(['--json', 'init', dir, '--deps', 'none']);
    expect(init.exitCode, init.stderr).toBe(0);
    expect(documentOf(init)).toMatchObject({ adopted: false, name: 'fleet' });
    expect(init.stderr).toContain('created fleet project fleet');

    const add = await runCli(['--json', 'add', 'acme', '--yes'], { cwd: dir });
    expect(add.exitCode, add.stderr).toBe(0);
    expect(documentOf(add)).toMatchObject({ client: 'acme', sources: { API_KEY: 'generated' } });
    expect(add.stderr).toContain('added acme');

    // list used to print nothing but the document under --json: its table is on stderr now.
    const list = await runCli(['--json', 'list'], { cwd: dir });
    expect(list.exitCode, list.stderr).toBe(0);
    expect(documentOf(list)).toMatchObject([{ client: 'acme', worker: 'acme' }]);
    expect(list.stderr).toMatch(/acme\s+acme\s+acme_metrics/);

    const upgrade = await runCli(['--json', 'upgrade-config', '--all', '--check'], { cwd: dir });
    expect(upgrade.exitCode, upgrade.stderr).toBe(0);
    expect(documentOf(upgrade)).toMatchObject({ ok: true, changed: false });

    const remove = await runCli(['--json', 'remove', 'acme', '--keep-worker', '--yes'], { cwd: dir });
    expect(remove.exitCode, remove.stderr).toBe(0);
    expect(documentOf(remove)).toMatchObject({ client: 'acme', configChanged: true });
    expect(remove.stderr).toContain('removed acme');
  });

  test('local status and stop without an edge: a document each, the words on stderr', async () => {
    const status = await runCli(['--json', 'local', 'status'], { cwd: dir });
    expect(status.exitCode).toBe(1);
    expect(documentOf(status)).toEqual({ schemaVersion: SCHEMA_VERSION, running: false, stale: false, workers: [] });
    expect(status.stderr).toContain('local edge not running');
    const stop = await runCli(['--json', 'local', 'stop'], { cwd: dir });
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(documentOf(stop)).toEqual({ schemaVersion: SCHEMA_VERSION, stopped: false, running: false });
  });

  test('a failure is a document too, whether the parser or the command refuses', async () => {
    const usage = await runCli(['--json', 'deploy', '--bogus'], { cwd: dir });
    expect(usage.exitCode).toBe(2);
    expect(documentOf(usage) as FailureJson).toMatchObject({ ok: false, error: { exitCode: 2, hint: null } });
    const outside = await runCli(['--json', 'list'], { cwd: root.dir });
    expect(outside.exitCode).toBe(2);
    expect(documentOf(outside) as FailureJson).toMatchObject({ ok: false, error: { message: `no wrangler.jsonc in ${root.dir}` } });
  });

  test('--help says that logs streams NDJSON', async () => {
    const help = await runCli(['logs', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(
      '--json machine-readable output on stdout: one JSON document (logs: NDJSON, one event per line)',
    );
  });
});
