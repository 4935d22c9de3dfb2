import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse as parseJsonc } from 'jsonc-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSecrets } from '../../src/secrets/dotfile.js';
import { type AddJson, type FailureJson, type ListJson, SCHEMA_VERSION } from '../../src/ui/json/index.js';
import { binPath, type CliResult, runCli, tempDir } from '../helpers/cli.js';
import { modeOf, snapshotDir } from '../helpers/snapshot.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup()));
});

async function freshDir(): Promise<string> {
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  return dir;
}

/** A freshly initialised project (deps linked, so wrangler can bundle it). */
async function initProject(name = 'fleet'): Promise<string> {
  const dir = join(await freshDir(), name);
  const result = await runCli(['init', dir]);
  expect(result.exitCode, result.stderr).toBe(0);
  return dir;
}

async function secretsOf(path: string): Promise<Record<string, string>> {
  return Object.fromEntries(parseSecrets(await readFile(path, 'utf8'), path).map((e) => [e.key, e.value]));
}

describe('mcp-fleet init', () => {
  it('scaffolds a project with no clients, a secrets template and ignores', async () => {
    const dir = await initProject('my-fleet');
    const files = await snapshotDir(dir);
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining(['wrangler.jsonc', '.secrets.template', '.gitignore', 'package.json', 'src/index.ts']),
    );
    const config = files['wrangler.jsonc']?.content ?? '';
    expect(config).toContain('"name": "my-fleet"');
    expect(config).toMatch(/"compatibility_date": "\d{4}-\d{2}-\d{2}"/);
    expect(config).toContain('"env": {}');
    expect(config).toMatch(/^\s*\/\//m);
    expect(files['.gitignore']?.content).toMatch(/^\.secrets\.\*$/m);
    expect(files['.gitignore']?.content).toMatch(/^!\.secrets\.template$/m);
    expect(await readdir(join(dir, 'node_modules', '@modelcontextprotocol'))).toContain('sdk');
  });

  it('refuses a directory that already holds a wrangler.jsonc and changes nothing', async () => {
    const dir = await initProject();
    const before = await snapshotDir(dir);
    const result = await runCli(['init', dir]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--adopt');
    expect(await snapshotDir(dir)).toEqual(before);
  });

  it('keeps a README.md the directory already has (a repository made on a code host starts with one)', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'README.md'), '# ours\n');
    const result = await runCli(['--json', 'init', dir, '--deps', 'none']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await readFile(join(dir, 'README.md'), 'utf8')).toBe('# ours\n');
    const created = (JSON.parse(result.stdout) as { created: string[] }).created;
    expect(created).toEqual(expect.arrayContaining(['wrangler.jsonc', 'src/tools.ts', 'test/worker.test.ts']));
    expect(created).not.toContain('README.md');
  });

  it('--adopt adds only the secrets template and .gitignore entries to an existing wrangler project', async () => {
    const dir = await freshDir();
    const config = '{\n  // mine\n  "name": "legacy",\n  "main": "worker.js"\n}\n';
    await writeFile(join(dir, 'wrangler.jsonc'), config);
    await writeFile(join(dir, '.gitignore'), 'node_modules\n');
    const result = await runCli(['init', '--adopt'], { cwd: dir });
    expect(result.exitCode, result.stderr).toBe(0);
    const files = await snapshotDir(dir);
    expect(Object.keys(files).sort()).toEqual(['.gitignore', '.secrets.template', 'wrangler.jsonc']);
    expect(files['wrangler.jsonc']?.content).toBe(config);
    expect(files['.gitignore']?.content.startsWith('node_modules\n')).toBe(true);
    expect(files['.gitignore']?.content).toMatch(/^\.secrets\.\*$/m);
    // Adopting twice adds nothing more.
    expect((await runCli(['init', '--adopt'], { cwd: dir })).exitCode).toBe(0);
    expect(await snapshotDir(dir)).toEqual(files);
  });

  it('--adopt without a wrangler config is bad usage', async () => {
    const dir = await freshDir();
    const result = await runCli(['init', '--adopt', dir]);
    expect(result.exitCode).toBe(2);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('mcp-fleet add', () => {
  /** One project shared by these tests; acme is added to it first, into the empty "env" that init wrote. */
  let dir: string;
  let addAcme: { result: CliResult; before: string; after: string };
  beforeAll(async () => {
    dir = await initProject();
    const before = await readFile(join(dir, 'wrangler.jsonc'), 'utf8');
    const result = await runCli(['add', 'acme', '--set', 'UPSTREAM_TOKEN=tok acme=#$HOME "q"', '--yes'], { cwd: dir });
    addAcme = { result, before, after: await readFile(join(dir, 'wrangler.jsonc'), 'utf8') };
  });

  it('adds the env section with jsonc edits and leaves every other byte as it was', () => {
    const { result, before, after } = addAcme;
    expect(result.exitCode, result.stderr).toBe(0);
    const insertAt = before.indexOf('"env": {}') + '"env": {'.length;
    expect(after.slice(0, insertAt)).toBe(before.slice(0, insertAt));
    const suffix = before.slice(insertAt);
    expect(after.endsWith(suffix)).toBe(true);
    expect(after.slice(insertAt, after.length - suffix.length)).toBe(
      '\n    "acme": {\n      "name": "acme",\n      "analytics_engine_datasets": [\n        {\n          "binding": "ANALYTICS",\n          "dataset": "acme_metrics"\n        }\n      ],\n      "ratelimits": [\n        {\n          "name": "RATE_LIMITER",\n          "namespace_id": "1001",\n          "simple": {\n            "limit": 600,\n            "period": 60\n          }\n        }\n      ],\n      "vars": {\n        "CLIENT_ID": "acme",\n        "RATE_LIMIT": "600/60"\n      },\n      "version_metadata": {\n        "binding": "CF_VERSION_METADATA"\n      }\n    }\n  ',
    );
  });

  it('creates .secrets.<client> with mode 0600, a generated API_KEY and the given values, exactly', async () => {
    const path = join(dir, '.secrets.acme');
    expect(await modeOf(path)).toBe(0o600);
    const values = await secretsOf(path);
    expect(values.API_KEY).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(values.API_KEY ?? '', 'base64url')).toHaveLength(32);
    expect(values.UPSTREAM_TOKEN).toBe('tok acme=#$HOME "q"');
    // The template's comments are kept in the client's file.
    const template = await readFile(join(dir, '.secrets.template'), 'utf8');
    expect((await readFile(path, 'utf8')).split('\n').filter((l) => l.startsWith('#'))).toEqual(
      template.split('\n').filter((l) => l.startsWith('#')),
    );
  });

  it('takes values from the environment with --from-env and never prints them', async () => {
    const result = await runCli(['add', 'beta', '--from-env', '--json'], {
      cwd: dir,
      env: { UPSTREAM_TOKEN: 'from-env-value-123', UPSTREAM_URL: 'https://api.beta.example' },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect((await secretsOf(join(dir, '.secrets.beta'))).UPSTREAM_TOKEN).toBe('from-env-value-123');
    const json = JSON.parse(result.stdout) as AddJson;
    expect(json.sources).toEqual({ API_KEY: 'generated', UPSTREAM_TOKEN: 'env', UPSTREAM_SIGNING_KEY: 'generated' });
    expect(json.missing).toEqual([]);
    // The upstream's URL is a setting of .vars.template: into beta's vars, where fetch_upstream reads it.
    expect(json).toMatchObject({ vars: { UPSTREAM_URL: 'env' }, varsNotSet: [] });
    const config = parseJsonc(await readFile(join(dir, 'wrangler.jsonc'), 'utf8')) as { env: Record<string, { vars: object }> };
    expect(config.env.beta?.vars).toEqual({ CLIENT_ID: 'beta', UPSTREAM_URL: 'https://api.beta.example', RATE_LIMIT: '600/60' });
    const apiKey = (await secretsOf(join(dir, '.secrets.beta'))).API_KEY ?? '';
    for (const secret of ['from-env-value-123', apiKey]) {
      expect(result.stdout + result.stderr).not.toContain(secret);
    }
  });

  it('with --yes and no value leaves the key empty and reports it missing', async () => {
    const result = await runCli(['add', 'gamma', '--yes', '--json'], { cwd: dir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout) as AddJson).toMatchObject({ missing: ['UPSTREAM_TOKEN'], varsNotSet: ['UPSTREAM_URL'] });
    expect(result.stderr).toContain('missing: UPSTREAM_TOKEN');
    // What is still empty is said, settings included: fetch_upstream needs UPSTREAM_URL.
    expect(result.stderr).toContain('not set: UPSTREAM_URL');
    expect((await secretsOf(join(dir, '.secrets.gamma'))).UPSTREAM_TOKEN).toBe('');
  });

  it('at a terminal, asks for a missing secret with masked input, and for the settings of .vars.template (UPSTREAM_URL)', async () => {
    // `script` gives the command a pseudo-terminal; each value is typed once its prompt is drawn.
    const typed = 'typed-at-the-prompt-42';
    const upstream = 'https://api.prompted.example/v1';
    // A new pseudo-terminal has no size; the prompt library needs one to lay out its lines.
    const child = execa('script', ['-qec', `stty cols 120 rows 40; ${process.execPath} ${binPath} add prompted`, '/dev/null'], {
      cwd: dir,
      env: { CI: '', NO_COLOR: '1' },
      reject: false,
      timeout: 60_000,
    });
    let screen = '';
    const answers = [
      { prompt: 'UPSTREAM_TOKEN for prompted', answer: typed },
      { prompt: 'UPSTREAM_URL for prompted', answer: upstream },
    ];
    child.stdout?.on('data', (chunk: Buffer) => {
      const before = screen;
      screen += chunk.toString();
      for (const { prompt, answer } of answers) if (!before.includes(prompt) && screen.includes(prompt)) child.stdin?.write(`${answer}\r`);
    });
    const result = await child;
    expect(result.exitCode, screen).toBe(0);
    expect(screen).toContain('UPSTREAM_TOKEN: prompt');
    expect(screen).not.toContain(typed);
    expect((await secretsOf(join(dir, '.secrets.prompted'))).UPSTREAM_TOKEN).toBe(typed);
    // A setting is no secret: it goes into the new section's vars, where fetch_upstream reads it.
    const config = parseJsonc(await readFile(join(dir, 'wrangler.jsonc'), 'utf8')) as { env: Record<string, { vars: object }> };
    expect(config.env.prompted?.vars).toEqual({ CLIENT_ID: 'prompted', UPSTREAM_URL: upstream, RATE_LIMIT: '600/60' });
  });

  it.each([
    [['add', 'Acme'], 'lowercase letters'],
    [['add', '1acme'], 'starting with a letter'],
    [['add', 'acme-'], 'not ending with a dash'],
    [['add', 'ac--me'], 'single dashes'],
    [['add', 'a'.repeat(55)], 'at most 54'],
    [['add', 'acme'], 'already a client'],
    [['add', 'fleet'], 'top-level worker'],
    [['add', 'delta', '--set', 'NOPE=1'], 'not in'],
    [['add', 'delta', '--set', 'broken'], '--set'],
    [['add', 'delta', '--set', 'UPSTREAM_TOKEN=a', '--set', 'UPSTREAM_TOKEN=b'], 'twice'],
    [['add', 'delta', '--set', 'UPSTREAM_URL=ftp://files.example'], '--set UPSTREAM_URL is a ftp: URL'],
    [['add', 'delta', '--set', 'UPSTREAM_URL=api.example.com'], 'not an absolute URL'],
    [['add', 'delta', '--set', 'API_KEY=short'], '--set API_KEY is 5 bytes long'],
    [['add', 'delta', '--bogus'], 'unknown option'],
  ])('rejects %j with exit 2 and changes no file', async (args, message) => {
    const before = await snapshotDir(dir);
    const result = await runCli([...args, '--yes'], { cwd: dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(message);
    expect(await snapshotDir(dir)).toEqual(before);
  });

  it('never overwrites an existing secrets file unless --force, which keeps a backup', async () => {
    const path = join(dir, '.secrets.orphan');
    await writeFile(path, 'API_KEY=old-key\nUPSTREAM_TOKEN=old\n', { mode: 0o600 });
    const before = await snapshotDir(dir);
    const refused = await runCli(['add', 'orphan', '--yes'], { cwd: dir });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('--force');
    expect(await snapshotDir(dir)).toEqual(before);

    const forced = await runCli(['add', 'orphan', '--yes', '--force', '--set', 'UPSTREAM_TOKEN=new'], { cwd: dir });
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect((await secretsOf(path)).UPSTREAM_TOKEN).toBe('new');
    const backups = await readdir(join(dir, '.mcp-fleet', 'backups', 'orphan'));
    expect(backups).toHaveLength(1);
    const backup = join(dir, '.mcp-fleet', 'backups', 'orphan', backups[0] as string);
    expect(await readFile(backup, 'utf8')).toBe('API_KEY=old-key\nUPSTREAM_TOKEN=old\n');
    expect(await modeOf(backup)).toBe(0o600);
  });

  it('reports a malformed wrangler.jsonc by file and line and changes nothing', async () => {
    const broken = await initProject();
    const path = join(broken, 'wrangler.jsonc');
    const text = (await readFile(path, 'utf8')).replace('"main": "src/index.ts",', '"main": "src/index.ts"');
    await writeFile(path, text);
    const before = await snapshotDir(broken);
    const result = await runCli(['add', 'acme', '--yes'], { cwd: broken });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+`));
    expect(await snapshotDir(broken)).toEqual(before);
  });

  it('refuses when the secrets file is already tracked by git, and says how to untrack it', async () => {
    const repo = await initProject();
    const git = (...args: string[]) => execa('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: repo });
    await git('init', '-q');
    await writeFile(join(repo, '.secrets.acme'), 'API_KEY=x\n');
    await git('add', '-f', '.secrets.acme');
    const before = await snapshotDir(repo);
    const result = await runCli(['add', 'acme', '--yes', '--force'], { cwd: repo });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('git rm --cached');
    expect(await snapshotDir(repo)).toEqual(before);
  });

  it('adds the .gitignore entries when a project lacks them', async () => {
    const repo = await initProject();
    await writeFile(join(repo, '.gitignore'), 'node_modules/\n');
    expect((await runCli(['add', 'acme', '--yes'], { cwd: repo })).exitCode).toBe(0);
    const ignore = await readFile(join(repo, '.gitignore'), 'utf8');
    expect(ignore.startsWith('node_modules/\n')).toBe(true);
    expect(ignore).toMatch(/^\.secrets\.\*$/m);
    expect(ignore).toMatch(/^!\.secrets\.template$/m);
  });
});

describe('mcp-fleet remove and list', () => {
  it('lists clients with secrets state, as a table and as JSON', async () => {
    const dir = await initProject();
    await runCli(['add', 'acme', '--set', 'UPSTREAM_TOKEN=t', '--yes'], { cwd: dir });
    await runCli(['add', 'beta', '--yes'], { cwd: dir });
    await runCli(['add', 'gone', '--yes'], { cwd: dir });
    await writeFile(join(dir, '.secrets.gone'), 'API_KEY=\n', { mode: 0o600 });
    const json = await runCli(['list', '--json'], { cwd: dir });
    expect(json.exitCode, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout) as ListJson).toEqual([
      {
        schemaVersion: SCHEMA_VERSION,
        client: 'acme',
        env: 'acme',
        worker: 'acme',
        dataset: 'acme_metrics',
        url: null,
        auth: ['key'],
        secrets: { file: 'present', missing: [], empty: [] },
      },
      {
        schemaVersion: SCHEMA_VERSION,
        client: 'beta',
        env: 'beta',
        worker: 'beta',
        dataset: 'beta_metrics',
        url: null,
        auth: ['key'],
        secrets: { file: 'present', missing: [], empty: ['UPSTREAM_TOKEN'] },
      },
      {
        schemaVersion: SCHEMA_VERSION,
        client: 'gone',
        env: 'gone',
        worker: 'gone',
        dataset: 'gone_metrics',
        url: null,
        auth: ['key'],
        secrets: { file: 'present', missing: ['UPSTREAM_TOKEN'], empty: ['API_KEY'] },
      },
    ]);
    const human = await runCli(['list'], { cwd: dir });
    expect(human.stdout).toMatch(/acme\s+acme\s+acme_metrics\s+key\s+complete/);
    expect(human.stdout).toMatch(/beta\s+beta\s+beta_metrics\s+key\s+empty UPSTREAM_TOKEN/);
    expect(human.stdout).toContain('3 clients');
  });

  it('outside a fleet project: exit 2 naming the directory, and under --json a failure document on stdout', async () => {
    const dir = await freshDir();
    const result = await runCli(['list', '--json'], { cwd: dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`no wrangler.jsonc in ${dir}`);
    expect(JSON.parse(result.stdout) as FailureJson).toEqual({
      schemaVersion: SCHEMA_VERSION,
      ok: false,
      error: { message: `no wrangler.jsonc in ${dir}`, hint: expect.stringMatching(/mcp-fleet(\.js)? init/), exitCode: 2 },
    });
  });

  it('removes a client: its env section goes, others stay, its secrets file is kept aside', async () => {
    const dir = await initProject();
    await runCli(['add', 'acme', '--yes'], { cwd: dir });
    const withAcme = await readFile(join(dir, 'wrangler.jsonc'), 'utf8');
    const acmeSecrets = await readFile(join(dir, '.secrets.acme'), 'utf8');
    await runCli(['add', 'beta', '--yes'], { cwd: dir });

    const unconfirmed = await runCli(['remove', 'beta', '--keep-worker'], { cwd: dir });
    expect(unconfirmed.exitCode).toBe(2);
    expect(unconfirmed.stderr).toContain('--yes');

    const result = await runCli(['remove', 'beta', '--keep-worker', '--yes'], { cwd: dir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await readFile(join(dir, 'wrangler.jsonc'), 'utf8')).toBe(withAcme);
    const removed = join(dir, '.mcp-fleet', 'removed');
    expect(await modeOf(removed)).toBe(0o700);
    // The secrets file and the removal record (its section as written), one stamp for both.
    const kept = (await readdir(removed)).sort();
    expect(kept).toHaveLength(2);
    expect(kept[0]).toMatch(/^beta\.(.+)\.json$/);
    expect(kept[1]).toBe(kept[0]?.replace(/\.json$/, '.secrets'));
    for (const file of kept) expect(await modeOf(join(removed, file))).toBe(0o600);
    expect(await readFile(join(dir, '.secrets.acme'), 'utf8')).toBe(acmeSecrets);

    const again = await runCli(['remove', 'beta', '--keep-worker', '--yes'], { cwd: dir });
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('not a client');
  });

  it('wrangler deploy --dry-run succeeds for each of two clients of a fresh project', async () => {
    const dir = await initProject();
    await runCli(['add', 'acme', '--yes'], { cwd: dir });
    await runCli(['add', 'beta-co', '--yes'], { cwd: dir });
    await mkdir(join(dir, 'out'));
    for (const client of ['acme', 'beta-co']) {
      const result = await execa(
        join(dir, 'node_modules', '.bin', 'wrangler'),
        ['deploy', '--dry-run', '--env', client, '--outdir', join(dir, 'out', client)],
        {
          cwd: dir,
          env: { CI: '1', WRANGLER_SEND_METRICS: 'false', HOME: dir },
          reject: false,
          all: true,
        },
      );
      expect(result.exitCode, String(result.all)).toBe(0);
      expect(String(result.all)).toContain(`${client.replace(/-/g, '_')}_metrics`);
    }
  });
});
