import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyEdits, modify, parse as parseJsonc } from 'jsonc-parser';
import { parse as parseToml } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type CliResult, runCli, tempDir } from '../helpers/cli.js';

/**
 * A host configuration someone already has (Cursor's mcp.json with their other servers) must not
 * be emptied or lose an entry because of mcp-fleet: the README once said `connect … > ~/.cursor/
 * mcp.json`, which the shell empties before a token error is even known, and which replaces
 * every other server on success. `--write <file>` writes only after every check and every client
 * succeeded, whole or not at all; and no client name or key can add entries of its own.
 *
 * No edge runs here: without --local the workers.dev URL needs an API token, which is missing.
 */

let root: { dir: string; cleanup: () => Promise<void> };
let project: string;
const env = { CLOUDFLARE_API_TOKEN: undefined, CLOUDFLARE_ACCOUNT_ID: undefined, MCP_FLEET_TARGET: undefined };
const run = (args: string[]): Promise<CliResult> => runCli(args, { cwd: project, env });

const cursorFile = `{
  // my servers: mcp-fleet must never lose them
  "mcpServers": {
    "github": { "url": "https://api.githubcopilot.com/mcp/", "headers": { "Authorization": "Bearer \${env:GITHUB_TOKEN}" } },
    "notes": {"command": "notes-mcp"}
  }
}
`;

async function prefilled(name: string, text = cursorFile): Promise<{ path: string; mtimeMs: number }> {
  const path = join(root.dir, name);
  await writeFile(path, text);
  return { path, mtimeMs: (await stat(path)).mtimeMs };
}

async function untouched(file: { path: string; mtimeMs: number }, text = cursorFile): Promise<void> {
  expect(await readFile(file.path, 'utf8')).toBe(text);
  expect((await stat(file.path)).mtimeMs).toBe(file.mtimeMs);
}

beforeAll(async () => {
  root = await tempDir('mcp-fleet-host-config-');
  project = join(root.dir, 'fleet');
  expect((await runCli(['init', project, '--deps', 'none'], { cwd: root.dir })).exitCode).toBe(0);
  for (const client of ['acme', 'globex']) expect((await run(['add', client, '--yes'])).exitCode).toBe(0);
}, 120_000);

afterAll(async () => {
  await root?.cleanup();
});

describe('a host config that is already there', () => {
  test('a token error leaves it byte for byte, and says nothing was written', async () => {
    const file = await prefilled('token-error.json');
    const result = await run(['connect', 'acme', '--for', 'cursor', '--write', file.path]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/CLOUDFLARE_API_TOKEN is not set/);
    expect(result.stdout).toMatch(/Nothing was written to .*token-error\.json/);
    await untouched(file);
  });

  test('one failing client leaves it untouched: the file gets every entry or none', async () => {
    const file = await prefilled('one-fails.json');
    const secrets = join(project, '.secrets.globex');
    const kept = await readFile(secrets, 'utf8');
    await writeFile(secrets, kept.replace(/^API_KEY=.*$/m, 'API_KEY='), { mode: 0o600 });
    try {
      const result = await run([
        ...['connect', 'acme', 'globex', '--for', 'cursor', '--inline-key', '--yes', '--write', file.path],
        ...['--url', 'acme=https://mcp.acme.example', '--url', 'globex=https://mcp.globex.example'],
      ]);
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toMatch(/globex.*no API_KEY/s);
      await untouched(file);
    } finally {
      await writeFile(secrets, kept, { mode: 0o600 });
    }
  });

  test('a malformed file is refused naming its line, and stays as it was', async () => {
    const broken = cursorFile.replace('"notes"', '"notes" "oops"');
    const file = await prefilled('broken.json', broken);
    const result = await run(['connect', 'acme', '--for', 'cursor', '--write', file.path, '--url', 'acme=https://mcp.acme.example']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`${file.path}:5:`);
    await untouched(file, broken);
  });
});

describe('names and keys cannot inject entries', () => {
  // JSON, YAML and TOML syntax, none of it whitespace (a key obeys the key rules).
  const hostileKey = `k"},"evil":{"url":"https://evil.example"}}]#&a*a!!str'{{$HOME}}[mcp_servers.evil]:-|>`;

  test('a key full of JSON and YAML syntax lands as one header value; exactly one entry is added', async () => {
    const secrets = join(project, '.secrets.acme');
    const kept = await readFile(secrets, 'utf8');
    await writeFile(secrets, kept.replace(/^API_KEY=.*$/m, `API_KEY=${hostileKey}`), { mode: 0o600 });
    try {
      const cursor = await prefilled('hostile-key.json');
      const url = ['--url', 'acme=https://mcp.acme.example'];
      const merged = await run(['connect', 'acme', '--for', 'cursor', '--inline-key', '--yes', '--write', cursor.path, ...url]);
      expect(merged.exitCode, merged.stderr).toBe(0);
      expect(merged.stdout + merged.stderr).not.toContain(hostileKey);
      const doc = parseJsonc(await readFile(cursor.path, 'utf8')) as { mcpServers: Record<string, { headers?: Record<string, string> }> };
      expect(Object.keys(doc.mcpServers)).toEqual(['github', 'notes', 'acme']);
      expect(doc.mcpServers.acme?.headers?.Authorization).toBe(`Bearer ${hostileKey}`);
      expect((await stat(cursor.path)).mode & 0o777).toBe(0o600);

      const goosePath = join(root.dir, 'config.yaml');
      await writeFile(goosePath, 'extensions:\n  developer:\n    type: builtin\n');
      const goose = await run(['connect', 'acme', '--for', 'goose', '--inline-key', '--yes', '--write', goosePath, ...url]);
      expect(goose.exitCode, goose.stderr).toBe(0);
      const yaml = parseYaml(await readFile(goosePath, 'utf8')) as { extensions: Record<string, { headers: Record<string, string> }> };
      expect(Object.keys(yaml)).toEqual(['extensions']);
      expect(Object.keys(yaml.extensions)).toEqual(['developer', 'acme']);
      expect(yaml.extensions.acme?.headers.Authorization).toBe(`Bearer ${hostileKey}`);
    } finally {
      await writeFile(secrets, kept, { mode: 0o600 });
    }
  });

  test("a URL full of TOML syntax stays one string in Codex's config", async () => {
    const codexPath = join(root.dir, 'config.toml');
    await writeFile(codexPath, '[mcp_servers.docs]\ncommand = "docs-mcp"\n');
    const url = `https://mcp.acme.example/x']["[mcp_servers.evil]=$HOME`;
    const result = await run(['connect', 'acme', '--for', 'codex', '--write', codexPath, '--url', `acme=${url}`]);
    expect(result.exitCode, result.stderr).toBe(0);
    const doc = parseToml(await readFile(codexPath, 'utf8')) as { mcp_servers: Record<string, { url: string }> };
    expect(Object.keys(doc)).toEqual(['mcp_servers']);
    expect(Object.keys(doc.mcp_servers)).toEqual(['docs', 'acme']);
    expect(doc.mcp_servers.acme?.url).toBe(`${new URL(url).href}/mcp`);
  });

  test('a client name with quotes in wrangler.jsonc is refused before the host file is read', async () => {
    const config = join(project, 'wrangler.jsonc');
    const kept = await readFile(config, 'utf8');
    await writeFile(config, applyEdits(kept, modify(kept, ['env', 'x", "evil": {"url": "y'], { name: 'x' }, {})));
    try {
      const file = await prefilled('quoted-name.json');
      const result = await run(['connect', '--all', '--for', 'cursor', '--write', file.path]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/is not a valid client name/);
      await untouched(file);
    } finally {
      await writeFile(config, kept);
    }
  });
});
