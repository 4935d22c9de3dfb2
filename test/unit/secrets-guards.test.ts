import { chmod, mkdir, readFile, readlink, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import type { Client, Fleet } from '../../src/fleet/fleet.js';
import { parseSetFlags } from '../../src/ops/project/add.js';
import { assertUsableApiKey } from '../../src/ops/secrets/preflight.js';
import { keysFromBackups, proveRotation } from '../../src/ops/secrets/rotation/proof.js';
import { suppliedValues } from '../../src/ops/secrets/rotation/value.js';
import { apiKeyProblem } from '../../src/secrets/api-key.js';
import { entriesToMap, parseSecrets } from '../../src/secrets/dotfile.js';
import { ensureSecretsIgnored } from '../../src/secrets/git-guard.js';
import { backupSecretsFile, readSecretsFile, tightenedWarning, writeSecretsText } from '../../src/secrets/secrets-file.js';
import { FleetError } from '../../src/util/errors.js';
import { sweepStaleTempFiles, tempPathFor } from '../../src/util/files.js';
import { setWarningSink } from '../../src/util/warnings.js';
import { tempDir } from '../helpers/cli.js';

/** The secrets layer's guards, threat by threat (docs/hardening.md): the end-to-end versions are in test/hardening/secret-leaks.test.ts. */

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => Promise.all(cleanups.map((cleanup) => cleanup())));

async function scratch(): Promise<string> {
  const { dir, cleanup } = await tempDir('mcp-fleet-guards-');
  cleanups.push(cleanup);
  return dir;
}

/** The error a call throws, for checking its message, hint and exit code. */
async function thrown(run: () => unknown): Promise<FleetError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof FleetError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

function text(error: FleetError): string {
  return `${error.message}\n${error.hint ?? ''}`;
}

/** A pid that no process has: far above Linux's default pid_max. */
const DEAD_PID = 99_999_999;

describe('temp files of atomic writes stay out of git', () => {
  it('the temp files of .secrets.<client> and wrangler.jsonc are ignored by the rules add writes', async () => {
    const dir = await scratch();
    await execa('git', ['init', '-q'], { cwd: dir });
    await ensureSecretsIgnored(dir, ['.mcp-fleet/']);
    const temps = [tempPathFor(join(dir, '.secrets.acme')), tempPathFor(join(dir, 'wrangler.jsonc'))];
    for (const path of temps) await writeFile(path, 'API_KEY=would-be-staged\n');
    const untracked = await execa('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: dir });
    expect(untracked.stdout.split('\n').filter(Boolean)).toEqual(['?? .gitignore']);
  });

  it("an existing project's .gitignore gains the temp-file rule, once", async () => {
    const dir = await scratch();
    const old = 'node_modules/\n\n# mcp-fleet: client secrets never go to git\n.secrets.*\n!.secrets.template\n.mcp-fleet/\n';
    await writeFile(join(dir, '.gitignore'), old);
    expect(await ensureSecretsIgnored(dir, ['.mcp-fleet/'])).toBe(true);
    const next = await readFile(join(dir, '.gitignore'), 'utf8');
    expect(next).toBe(`${old}\n# mcp-fleet: client secrets never go to git\n*.mcp-fleet-tmp\n`);
    expect(await ensureSecretsIgnored(dir, ['.mcp-fleet/'])).toBe(false);
    expect(await readFile(join(dir, '.gitignore'), 'utf8')).toBe(next);
  });

  it('a sweep removes what dead writers left and nothing a live writer or the user owns', async () => {
    const dir = await scratch();
    const deadOurs = `.secrets.acme.${DEAD_PID}-0123456789ab.mcp-fleet-tmp`;
    const liveOurs = `.wrangler.jsonc.${process.pid}-0123456789ab.mcp-fleet-tmp`;
    const oldLegacy = '..secrets.beta.0123456789ab.tmp';
    const youngLegacy = '.wrangler.jsonc.ba9876543210.tmp';
    const unrelated = ['.secrets.acme', 'notes.tmp', '.cache.tmp'];
    for (const name of [deadOurs, liveOurs, oldLegacy, youngLegacy, ...unrelated]) await writeFile(join(dir, name), 'x');
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    await utimes(join(dir, oldLegacy), twoMinutesAgo, twoMinutesAgo);
    expect((await sweepStaleTempFiles(dir)).sort()).toEqual([oldLegacy, deadOurs].sort());
    for (const name of [liveOurs, youngLegacy, ...unrelated]) expect((await stat(join(dir, name))).isFile()).toBe(true);
    expect(await sweepStaleTempFiles(join(dir, 'absent'))).toEqual([]);
  });
});

describe('a symlinked secrets file is refused', () => {
  it('a symlinked secrets file is refused for reading, writing and backing up; the link stays a link', async () => {
    const dir = await scratch();
    const elsewhere = join(dir, 'elsewhere.env');
    await writeFile(elsewhere, 'API_KEY=kept-where-it-is-1234567\n', { mode: 0o600 });
    const link = join(dir, '.secrets.acme');
    await symlink(elsewhere, link);
    for (const run of [
      () => readSecretsFile(link, { displayName: '.secrets.acme' }),
      () => writeSecretsText(link, 'API_KEY=replaced\n', '.secrets.acme'),
      () => backupSecretsFile(dir, 'acme', link, 'rotate'),
    ]) {
      const error = await thrown(run);
      expect(error.exitCode).toBe(2);
      expect(error.message).toContain('.secrets.acme is a symbolic link');
      expect(text(error)).not.toContain('kept-where-it-is');
    }
    expect(await readlink(link)).toBe(elsewhere);
    expect(await readFile(elsewhere, 'utf8')).toBe('API_KEY=kept-where-it-is-1234567\n');
  });

  it('a dangling link is refused too, rather than reported as missing', async () => {
    const dir = await scratch();
    await symlink(join(dir, 'nowhere'), join(dir, '.secrets.acme'));
    expect((await thrown(() => readSecretsFile(join(dir, '.secrets.acme')))).message).toContain('symbolic link');
  });
});

describe('--set never repeats what was given', () => {
  it.each([
    ['sk_live_bare_value_0123456789', 'no "="'],
    ['sk-live-bare-value=0123456789', 'not a valid key'],
  ])('--set %j is refused without echoing it', async (flag, reason) => {
    const error = await thrown(() => parseSetFlags([flag]));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('--set');
    expect(error.message).toContain(reason);
    expect(text(error)).not.toContain('bare');
    expect(text(error)).not.toContain('0123456789');
  });
});

describe('secrets hygiene', () => {
  it('a secrets file others can read is made 0600 by every read, and the warning is said once, on stderr', async () => {
    const dir = await scratch();
    const path = join(dir, '.secrets.acme');
    await writeFile(path, 'API_KEY=some-long-enough-api-key-value\n');
    const said: string[] = [];
    const previous = setWarningSink((line) => said.push(line));
    try {
      for (const mode of [0o644, 0o666]) {
        await chmod(path, mode);
        const read = await readSecretsFile(path);
        expect((await stat(path)).mode & 0o777).toBe(0o600);
        expect(read?.tightenedFrom).toBe(mode);
        expect(tightenedWarning(read as NonNullable<typeof read>)).toMatch(
          new RegExp(`^\\.secrets\\.acme was readable by other users \\(mode 0${mode.toString(8)}\\); it is now 0600`),
        );
        expect((await readSecretsFile(path))?.tightenedFrom).toBeUndefined();
      }
      // A malformed file is made private too: the read stops at its first bad line, after the chmod.
      await writeFile(path, 'not a line\n', { mode: 0o644 });
      await chmod(path, 0o644);
      const other = join(dir, '.secrets.beta');
      await writeFile(other, 'not a line\n');
      await chmod(other, 0o640);
      await expect(readSecretsFile(other)).rejects.toThrow(/expected KEY=VALUE/);
      expect((await stat(other)).mode & 0o777).toBe(0o600);
    } finally {
      setWarningSink(previous);
    }
    // Once per file, however often it was read and made private again.
    expect(said).toEqual([expect.stringContaining('.secrets.acme was readable'), expect.stringContaining('.secrets.beta was readable')]);
  });

  const client = { name: 'acme', secretsPath: '/p/.secrets.acme' } as Client;
  const file = (text: string) => {
    const entries = parseSecrets(text, '.secrets.acme');
    return { values: entriesToMap(entries), lines: new Map(entries.map((entry) => [entry.key, entry.line])) };
  };
  it.each([
    ['whitespace only', 'API_KEY=                        ', 1, 'only whitespace'],
    ['15 bytes', 'API_KEY=short-key-15byt', 1, '15 bytes long'],
    ['a trailing space', '# the key\nAPI_KEY=a-long-enough-key-with-a-space ', 2, 'ends with whitespace'],
    ['a trailing tab', 'API_KEY=a-long-enough-key-with-a-tab\t', 1, 'ends with whitespace'],
    ['a quoted trailing newline', 'API_KEY="a-long-enough-key-with-a-newline\\n"', 1, 'ends with whitespace'],
    ['a leading space', 'API_KEY= a-long-enough-key-after-a-space', 1, 'starts with whitespace'],
    ['a space inside', 'API_KEY=a-long-enough key-with-a-space', 1, 'has whitespace inside'],
    ['a non-ASCII letter', 'API_KEY=a-long-enough-kéy-with-an-accent', 1, 'not visible ASCII'],
    ['a 2-byte previous key', 'API_KEY=a-long-enough-current-key\nAPI_KEY_PREVIOUS=ab', 2, 'API_KEY_PREVIOUS is 2 bytes long'],
    [
      'a previous key ending in a space',
      'API_KEY=a-long-enough-current-key\nAPI_KEY_PREVIOUS=a-long-enough-old-key ',
      2,
      'API_KEY_PREVIOUS ends with',
    ],
  ])('an API_KEY of %s fails preflight (exit 2) naming file and line, without naming it', async (_what, content, line, reason) => {
    const error = await thrown(() => assertUsableApiKey(client, file(content)));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(reason);
    expect(error.message).toMatch(new RegExp(`^\\.secrets\\.acme:${line}: `));
    for (const value of entriesToMap(parseSecrets(content, 'f')).values())
      if (value.trim().length >= 8) expect(text(error)).not.toContain(value.trim());
  });

  it('a 16-byte API_KEY passes preflight, and so does a good previous key or an empty one', () => {
    expect(() => assertUsableApiKey(client, file('API_KEY=sixteen-byte-key'))).not.toThrow();
    expect(() => assertUsableApiKey(client, file('API_KEY=sixteen-byte-key\nAPI_KEY_PREVIOUS=another-16-bytes'))).not.toThrow();
    expect(() => assertUsableApiKey(client, file('API_KEY=sixteen-byte-key\nAPI_KEY_PREVIOUS='))).not.toThrow();
  });

  it('the key rules: visible ASCII, no whitespace, at least 16 bytes; the problem never holds the value', () => {
    expect(apiKeyProblem('A'.repeat(16))).toBeUndefined();
    expect(apiKeyProblem('mcpf_~!#$%&*+-./0123456789:;<=>?@[]^_`{|}')).toBeUndefined();
    for (const bad of [' '.repeat(20), `${'k'.repeat(20)}\u00a0`, `${'k'.repeat(20)}\u0000`, `${'k'.repeat(20)}\r`, 'k'.repeat(15)]) {
      const problem = apiKeyProblem(bad);
      expect(problem, JSON.stringify(bad)).toBeDefined();
      expect(problem).not.toContain('kkkk');
    }
  });

  const fleetAt = (dir: string) =>
    ({ dir, requiredKeys: ['API_KEY', 'UPSTREAM_TOKEN'], templatePath: join(dir, '.secrets.template') }) as Fleet;
  const clients = [client, { name: 'beta', secretsPath: '/p/.secrets.beta' } as Client];
  it('only API_KEY is generated; a client-supplied key needs its value from the environment or a prompt', async () => {
    const fleet = fleetAt(await scratch());
    const base = { fleet, clients: [client], env: { UPSTREAM_TOKEN: 'from-the-environment-1' } };
    expect(await suppliedValues({ ...base, key: 'API_KEY', fromEnv: false })).toBeUndefined();
    expect((await thrown(() => suppliedValues({ ...base, key: 'API_KEY', fromEnv: true }))).message).toContain('generated');
    const none = await thrown(() => suppliedValues({ ...base, key: 'UPSTREAM_TOKEN', fromEnv: false }));
    expect(none.exitCode).toBe(2);
    expect(none.message).toContain('--from-env');
    expect(await suppliedValues({ ...base, key: 'UPSTREAM_TOKEN', fromEnv: true })).toEqual(new Map([['acme', 'from-the-environment-1']]));
    const unset = await thrown(() => suppliedValues({ ...base, env: {}, key: 'UPSTREAM_TOKEN', fromEnv: true }));
    expect(unset.message).toContain('not set in the environment');
    // One variable for several clients would hand one client's credential to the others.
    const shared = await thrown(() => suppliedValues({ ...base, clients, key: 'UPSTREAM_TOKEN', fromEnv: true }));
    expect(shared.message).toContain('one environment variable cannot hold a new one for 2 clients');
    expect(text(shared)).not.toContain('from-the-environment-1');
    const asked: string[] = [];
    const ask = async (key: string, name: string) => {
      asked.push(`${key}/${name}`);
      return `typed-for-${name}`;
    };
    expect(await suppliedValues({ ...base, clients, key: 'UPSTREAM_TOKEN', fromEnv: false, ask })).toEqual(
      new Map([
        ['acme', 'typed-for-acme'],
        ['beta', 'typed-for-beta'],
      ]),
    );
    expect(asked).toEqual(['UPSTREAM_TOKEN/acme', 'UPSTREAM_TOKEN/beta']);
    const skipped = await thrown(() => suppliedValues({ ...base, key: 'UPSTREAM_TOKEN', fromEnv: false, ask: async () => undefined }));
    expect(skipped.message).toContain('nothing was changed');
  });
});

describe('the proof covers the keys in the backups', () => {
  /** A stand-in worker on loopback: /mcp lets in exactly the keys given. */
  async function worker(accepted: readonly string[]): Promise<{ url: string; server: Server }> {
    const server = createServer((request, response) => {
      const key = (request.headers.authorization ?? '').replace(/^Bearer /, '');
      request.resume();
      response.writeHead(accepted.includes(key) ? 200 : 401, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
  }

  it('keysFromBackups lists each earlier key once, without the keys the file names now', async () => {
    const dir = await scratch();
    const backups = join(dir, '.mcp-fleet', 'backups', 'acme');
    await mkdir(backups, { recursive: true });
    await writeFile(join(backups, '1.rotate.secrets'), 'API_KEY=key-one-aaaaaaaaaaaa\nAPI_KEY_PREVIOUS=key-zero-aaaaaaaaaaa\n');
    await writeFile(join(backups, '2.rotate.secrets'), 'API_KEY=key-two-aaaaaaaaaaaa\nAPI_KEY_PREVIOUS=key-one-aaaaaaaaaaaa\n');
    await writeFile(join(backups, '3.replaced.secrets'), 'API_KEY=key-now-aaaaaaaaaaaa\n');
    await writeFile(join(backups, 'pending-rotation'), '{}');
    await writeFile(join(backups, '4.rotate.secrets'), 'broken line with sk_live_secret_text\n');
    const { stale, unreadable } = await keysFromBackups(dir, 'acme', new Set(['key-now-aaaaaaaaaaaa']));
    expect(stale.map((entry) => entry.key)).toEqual(['key-one-aaaaaaaaaaaa', 'key-zero-aaaaaaaaaaa', 'key-two-aaaaaaaaaaaa']);
    expect(stale[0]?.source).toBe(join('.mcp-fleet', 'backups', 'acme', '1.rotate.secrets'));
    expect(unreadable).toHaveLength(1);
    expect(unreadable[0]).toContain('4.rotate.secrets');
    expect(unreadable[0]).not.toContain('sk_live');
  });

  it('a worker that still lets in a key from a backup fails the proof, naming the backup and not the key', async () => {
    const { url } = await worker(['new-key-aaaaaaaaaaaaa', 'two-rotations-ago-aaaa']);
    const stale = [
      { key: 'two-rotations-ago-aaaa', source: '.mcp-fleet/backups/acme/1.rotate.secrets' },
      { key: 'refused-one-aaaaaaaaaa', source: '.mcp-fleet/backups/acme/2.rotate.secrets' },
    ];
    const proof = await proveRotation(url, 'new-key-aaaaaaaaaaaaa', 'old-key-aaaaaaaaaaaaa', { timeoutMs: 0, stale });
    expect(proof).toMatchObject({ ok: false, newAccepted: true, oldRefused: true, staleChecked: 2, staleRefused: false });
    expect(proof.detail).toContain('does not refuse an earlier key from .mcp-fleet/backups/acme/1.rotate.secrets');
    expect(proof.detail).not.toContain('2.rotate.secrets');
    expect(JSON.stringify(proof)).not.toContain('two-rotations-ago');

    const { url: clean } = await worker(['new-key-aaaaaaaaaaaaa']);
    const good = await proveRotation(clean, 'new-key-aaaaaaaaaaaaa', 'old-key-aaaaaaaaaaaaa', { timeoutMs: 0, stale });
    expect(good).toMatchObject({ ok: true, staleChecked: 2, staleRefused: true });
  });
});
