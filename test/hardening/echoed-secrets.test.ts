import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { applyEdits, modify } from 'jsonc-parser';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { VerifyJson } from '../../src/ui/json/index.js';
import { binPath, repoRoot } from '../helpers/cli.js';
import { closeTestFleet, createTestFleet, randomValue, type TestFleet } from '../helpers/fleet.js';

/**
 * Workers that give back what they are sent (test/fixtures/echoing-worker): a key echoed in a 401
 * body where a report's cut falls, a prefix of one, credentials written to the console in URLs.
 * Through the built binary against the local edge; whatever a worker echoes, no run prints a piece
 * of 8 or more characters of a secret — not on stdout, stderr, in --json or in a log file.
 */

let fleet: TestFleet;
const CLIENTS = { cutter: 'cut', prefixer: 'prefix' } as const;

beforeAll(async () => {
  fleet = await createTestFleet('echoed', Object.keys(CLIENTS));
  await copyFile(join(repoRoot, 'test', 'fixtures', 'echoing-worker', 'worker.js'), join(fleet.dir, 'echoing-worker.js'));
  const path = join(fleet.dir, 'wrangler.jsonc');
  let text = await readFile(path, 'utf8');
  for (const [client, mode] of Object.entries(CLIENTS)) {
    text = applyEdits(text, modify(text, ['env', client, 'main'], 'echoing-worker.js', {}));
    text = applyEdits(text, modify(text, ['env', client, 'vars', 'MODE'], mode, {}));
  }
  await writeFile(path, text);
  const deployed = await fleet.cli(['deploy', '--all', '--local', '--no-verify']);
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.stdout}\n${deployed.stderr}`);
}, 300_000);

afterAll(() => closeTestFleet(fleet));

/** Every piece of `secret` of 8 characters that `text` holds (none, when nothing leaked). */
function piecesIn(text: string, secret: string): string[] {
  const found = new Set<string>();
  for (let i = 0; i + 8 <= secret.length; i++) if (text.includes(secret.slice(i, i + 8))) found.add(secret.slice(i, i + 8));
  return [...found];
}

/** The text of every file under .mcp-fleet/logs. */
async function logFiles(): Promise<string> {
  const dir = join(fleet.dir, '.mcp-fleet', 'logs');
  const names = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  const texts = await Promise.all(names.map((name) => readFile(join(dir, name), 'utf8').catch(() => '')));
  return texts.join('\n');
}

describe('a worker that echoes a key', () => {
  test('verify cuts an echoed body only after redacting it: not one 8-character piece of the key reaches stdout, stderr, --json or logs', async () => {
    const keys = new Map(
      await Promise.all(
        Object.keys(CLIENTS).map(async (client) => [client, (await fleet.secrets(client)).get('API_KEY') as string] as const),
      ),
    );
    for (const json of [true, false]) {
      const result = json
        ? await fleet.cliJson<VerifyJson>(['verify', '--all', '--local'])
        : { ...(await fleet.cli(['verify', '--all', '--local'])), json: undefined };
      expect(result.exitCode, result.stderr).toBe(1);
      const printed = `${result.stdout}\n${result.stderr}\n${await logFiles()}`;
      for (const [client, key] of keys) expect(piecesIn(printed, key), `pieces of ${client}'s key`).toEqual([]);
      if (result.json) {
        // The refusal is still reported, with the body up to the cut: the key in it is blanked, not the report.
        const mcp = result.json.clients.find((entry) => entry.client === 'cutter')?.checks.find((check) => check.name === 'mcp');
        expect(mcp?.detail).toMatch(/HTTP 401: \{"error":"unauthorized","note":"n+","presented":"\[redacted\]/);
        const prefix = result.json.clients.find((entry) => entry.client === 'prefixer')?.checks.find((check) => check.name === 'mcp');
        expect(prefix?.detail).toContain('the key starting [redacted]… is not valid');
      }
    }
  });
});

describe('a worker that writes credentials to its console', () => {
  test('logs blanks jwt and other credential parameters in request URLs and in the lines the worker writes, keeping the rest', async () => {
    // Opaque, not shaped like a JWT: the edge's tail blanks JWT-shaped values in request URLs by itself, as Cloudflare's does.
    const jwt = randomValue('jwt-value');
    fleet.leaks.addSecret(jwt, 'a token sent to cutter as ?jwt=');
    const child = execa(process.execPath, [binPath, 'logs', 'cutter', '--local'], {
      cwd: fleet.dir,
      env: { CI: '1', NO_COLOR: '1' },
      reject: false,
      buffer: false,
      stdin: 'ignore',
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    try {
      await vi.waitFor(() => expect(stderr).toContain('cutter: streaming'), { timeout: 60_000, interval: 200 });
      // A tail delivers a moment after it opens: keep asking until the lines come.
      await vi.waitFor(
        async () => {
          const response = await fetch(`${fleet.workerUrl('cutter')}/health?jwt=${jwt}&page=2`);
          await response.body?.cancel();
          expect(stdout).toMatch(/calling https:\/\/upstream\.example\/v1\/items\?access_token=…&page=3$/m);
        },
        { timeout: 60_000, interval: 500 },
      );
      expect(stdout).toMatch(/GET \/health\?jwt=%E2%80%A6&page=2 200$/m);
      expect(stdout).toMatch(/log {3}request https?:\/\/cutter\.[^\s?]+\/health\?jwt=…&page=2$/m);
    } finally {
      child.kill('SIGINT');
      await child;
      fleet.leaks.record('stdout of mcp-fleet logs cutter', stdout);
      fleet.leaks.record('stderr of mcp-fleet logs cutter', stderr);
    }
    expect(piecesIn(stdout + stderr, jwt)).toEqual([]);
  });
});
