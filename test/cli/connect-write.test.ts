import { chmod, lstat, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse as parseJsonc } from 'jsonc-parser';
import { parse as parseToml } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { ConnectJson } from '../../src/ui/json/index.js';
import { tempDir } from '../helpers/cli.js';
import { closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';

/**
 * `connect --write <file>` through the built binary against the local edge: a host's own
 * configuration, already holding other servers, gets this fleet's entries merged in and keeps
 * every other byte; the merged entry, filled in as the host would, opens the worker; new hosts
 * (Codex, Zed, Claude, ChatGPT) get what they can use, or a clear refusal.
 */

let fleet: TestFleet;
let home: { dir: string; cleanup: () => Promise<void> };
let key: string;

beforeAll(async () => {
  fleet = await createTestFleet('connect-write', ['acme', 'globex']);
  key = (await fleet.secrets('acme')).get('API_KEY') as string;
  home = await tempDir('mcp-fleet-connect-home-');
  const deployed = await fleet.cli(['deploy', 'acme', '--local', '--no-verify']);
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.stderr}`);
}, 300_000);

afterAll(async () => {
  try {
    await closeTestFleet(fleet);
  } finally {
    await home?.cleanup();
  }
});

/** Whether every character of `before` is in `after`, in order. */
function keepsEveryByte(before: string, after: string): boolean {
  let at = 0;
  for (const char of after) if (char === before[at]) at++;
  return at === before.length;
}

async function opens(url: string, authorization: string): Promise<number> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'connect-write-test', version: '1.0.0' } },
    }),
  });
  await response.body?.cancel();
  return response.status;
}

const cursorFile = `{
  // servers of my own
  "mcpServers": {
    "github": { "url": "https://api.githubcopilot.com/mcp/" }, // work
    "notes": {"command": "notes-mcp", "args": ["--stdio"]}
  }
}
`;

describe('connect --write <file>', () => {
  test("merges into a pre-filled Cursor mcp.json: other servers, comments and the file's mode stay; the entry opens the worker", async () => {
    const path = join(home.dir, '.cursor', 'mcp.json');
    await mkdir(join(home.dir, '.cursor'));
    await writeFile(path, cursorFile, { mode: 0o640 });
    await chmod(path, 0o640);
    const result = await fleet.cli(['connect', 'acme', 'globex', '--for', 'cursor', '--local', '--write', path]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/acme .*0640 .*refers to MCP_FLEET_ACME_API_KEY .*added/);
    const text = await readFile(path, 'utf8');
    expect(keepsEveryByte(cursorFile, text)).toBe(true);
    expect(text).toContain('"github": { "url": "https://api.githubcopilot.com/mcp/" }, // work');
    expect((await stat(path)).mode & 0o777).toBe(0o640);
    expect(text).not.toContain(key);

    const entry = (parseJsonc(text) as { mcpServers: Record<string, { url: string; headers: Record<string, string> }> }).mcpServers.acme;
    expect(entry?.url).toBe(`${fleet.workerUrl('acme')}/mcp`);
    const filled = entry?.headers.Authorization?.replace(`\${env:MCP_FLEET_ACME_API_KEY}`, key) ?? '';
    expect(await opens(entry?.url ?? '', filled)).toBe(200);

    // Again: every entry is already right, and the file is not touched.
    const again = await fleet.cliJson<ConnectJson>(['connect', 'acme', 'globex', '--for', 'cursor', '--local', '--write', path]);
    expect(again.json.clients.map((client) => client.file?.change)).toEqual(['unchanged', 'unchanged']);
    expect(await readFile(path, 'utf8')).toBe(text);
  });

  test('VS Code: a shared .vscode/mcp.json in a repository keeps its comments and gets the input that asks for the key', async () => {
    const repo = join(home.dir, 'project');
    await mkdir(join(repo, '.vscode'), { recursive: true });
    await execa('git', ['init', '-q'], { cwd: repo });
    const path = join(repo, '.vscode', 'mcp.json');
    const before = '{\n\t// the team\'s servers\n\t"servers": {\n\t\t"db": { "type": "stdio", "command": "db-mcp" },\n\t},\n}\n';
    await writeFile(path, before);
    // No key goes into it, so the file may be committed: the write is not refused.
    const result = await fleet.cli(['connect', 'acme', '--for', 'vscode', '--local', '--write', path]);
    expect(result.exitCode, result.stderr).toBe(0);
    const text = await readFile(path, 'utf8');
    expect(keepsEveryByte(before, text)).toBe(true);
    expect(text).toContain('"id": "mcp-fleet-acme-api-key"');
    expect(text).toContain(`"Authorization": "Bearer \${input:mcp-fleet-acme-api-key}"`);

    // With the key inside, a file git would commit is refused and left as it was.
    const refused = await fleet.cli(['connect', 'acme', '--for', 'vscode', '--local', '--write', path, '--inline-key', '--yes']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/would hold a key.*not ignored/s);
    expect(await readFile(path, 'utf8')).toBe(text);
  });

  test('Codex: a [mcp_servers.<client>] table is appended to config.toml; Codex, given the variable, opens the worker', async () => {
    const path = join(home.dir, '.codex', 'config.toml');
    await mkdir(join(home.dir, '.codex'));
    const before = 'model = "gpt-5-codex"\n\n[mcp_servers.docs]\ncommand = "docs-mcp"\n';
    await writeFile(path, before);
    const result = await fleet.cli(['connect', 'acme', '--for', 'codex', '--local', '--write', path]);
    expect(result.exitCode, result.stderr).toBe(0);
    const text = await readFile(path, 'utf8');
    expect(text.startsWith(before)).toBe(true);
    const server = (parseToml(text) as { mcp_servers: Record<string, { url: string; bearer_token_env_var: string }> }).mcp_servers.acme;
    expect(server).toEqual({ url: `${fleet.workerUrl('acme')}/mcp`, bearer_token_env_var: 'MCP_FLEET_ACME_API_KEY' });
    expect(await opens(server?.url ?? '', `Bearer ${key}`)).toBe(200);
    expect(result.stderr).toContain('export MCP_FLEET_ACME_API_KEY=');

    const inline = await fleet.cli(['connect', 'acme', '--for', 'codex', '--local', '--write', path, '--inline-key', '--yes']);
    expect(inline.exitCode).toBe(2);
    expect(inline.stderr).toMatch(/reads the key only from an environment variable/);
    expect(await readFile(path, 'utf8')).toBe(text);
  });

  test("Goose: the extension goes into a pre-filled config.yaml in the file's own list style", async () => {
    const path = join(home.dir, 'goose.yaml');
    const before = 'GOOSE_PROVIDER: openai\nextensions:\n  developer:\n    enabled: true\n    env_keys:\n    - DEV\n    type: builtin\n';
    await writeFile(path, before);
    const result = await fleet.cli(['connect', 'acme', '--for', 'goose', '--local', '--write', path]);
    expect(result.exitCode, result.stderr).toBe(0);
    const text = await readFile(path, 'utf8');
    expect(text.startsWith(before)).toBe(true);
    expect(text).toContain('    env_keys:\n    - MCP_FLEET_ACME_API_KEY\n');
    const doc = parseYaml(text) as { extensions: Record<string, { uri: string }> };
    expect(Object.keys(doc.extensions)).toEqual(['developer', 'acme']);
  });

  test('Zed reads no variable: without --inline-key the refusal says how, and that hint writes a 0600 file that opens the worker', async () => {
    const path = join(home.dir, 'zed', 'settings.json');
    await mkdir(join(home.dir, 'zed'));
    await writeFile(path, '// Zed settings\n{\n  "theme": "One Dark",\n}\n', { mode: 0o644 });
    const refused = await fleet.cli(['connect', 'acme', '--for', 'zed', '--local', '--write', path]);
    expect(refused.exitCode).toBe(2);
    const hint = /((?:node \S+|\S*mcp-fleet) connect .+)$/m.exec(refused.stderr)?.[1];
    expect(hint, refused.stderr).toContain('--inline-key');
    const ran = await execa('sh', ['-c', hint ?? 'false'], { cwd: fleet.dir, reject: false, env: { CI: '1', NO_COLOR: '1' } });
    expect(ran.exitCode, ran.stderr).toBe(0);
    expect(ran.stdout + ran.stderr).not.toContain(key);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const text = await readFile(path, 'utf8');
    expect(text.startsWith('// Zed settings\n{\n  "theme": "One Dark",')).toBe(true);
    const entry = (parseJsonc(text) as { context_servers: Record<string, { url: string; headers: Record<string, string> }> })
      .context_servers.acme;
    expect(await opens(entry?.url ?? '', entry?.headers.Authorization ?? '')).toBe(200);
  });

  test('printed instead, the configuration comes with the --write command for the host file, which runs as printed', async () => {
    const printed = await fleet.cli(['connect', 'acme', '--for', 'cursor', '--local']);
    expect(printed.exitCode, printed.stderr).toBe(0);
    const hint = /a redirect would empty it\): (.+)$/m.exec(printed.stderr)?.[1];
    expect(hint, printed.stderr).toMatch(/connect acme --for cursor .*--write ~\/\.cursor\/mcp\.json$/);
    const otherHome = join(home.dir, 'other-home');
    await mkdir(join(otherHome, '.cursor'), { recursive: true });
    await writeFile(join(otherHome, '.cursor', 'mcp.json'), cursorFile);
    const ran = await execa('sh', ['-c', hint ?? 'false'], {
      cwd: fleet.dir,
      reject: false,
      env: { HOME: otherHome, CI: '1', NO_COLOR: '1' },
    });
    expect(ran.exitCode, ran.stderr).toBe(0);
    const text = await readFile(join(otherHome, '.cursor', 'mcp.json'), 'utf8');
    expect(keepsEveryByte(cursorFile, text)).toBe(true);
    expect(Object.keys((parseJsonc(text) as { mcpServers: object }).mcpServers)).toEqual(['github', 'notes', 'acme']);
  });

  test('a symlinked host file is written through the link, which stays a link', async () => {
    const real = join(home.dir, 'dotfiles-mcp.json');
    const link = join(home.dir, 'linked-mcp.json');
    await writeFile(real, '{"mcpServers": {}}\n');
    await symlink(real, link);
    const result = await fleet.cli(['connect', 'acme', '--for', 'claude-code', '--local', '--write', link]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readFile(real, 'utf8')).toContain('"acme"');
  });

  test('a malformed file is refused naming file and line, and left as it was', async () => {
    const path = join(home.dir, 'broken.json');
    const broken = '{\n  "mcpServers": {\n    "a": {"url": "x"} "b": {}\n  }\n}\n';
    await writeFile(path, broken);
    const result = await fleet.cli(['connect', 'acme', '--for', 'cursor', '--local', '--write', path]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`${path}:3:`);
    expect(await readFile(path, 'utf8')).toBe(broken);
    const yamlPath = join(home.dir, 'broken.yaml');
    await writeFile(yamlPath, 'extensions:\n  a: [1\n');
    const yaml = await fleet.cli(['connect', 'acme', '--for', 'goose', '--local', '--write', yamlPath]);
    expect(yaml.exitCode).toBe(2);
    expect(yaml.stderr).toContain(`${yamlPath}:`);
    // Another host's kind of file is not taken for this one's.
    const wrongKind = await fleet.cli(['connect', 'acme', '--for', 'codex', '--local', '--write', path]);
    expect(wrongKind.exitCode).toBe(2);
    expect(wrongKind.stderr).toMatch(/reads TOML/);
  });
});

describe('hosts without a file of their own', () => {
  test('Claude: the fields of its custom connector form, the plans that take a header, and no file to write', async () => {
    const result = await fleet.cli(['connect', 'acme', '--for', 'claude', '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      `Name: acme\nRemote MCP server URL: ${fleet.workerUrl('acme')}/mcp\nRequest header: Authorization\nHeader value: Bearer <the API_KEY of acme>`,
    );
    expect(result.stderr).toMatch(/Pro, Max and Team plans since 2026-08/);
    expect(result.stderr).toMatch(/not a public https URL/);
    expect(result.stderr).not.toMatch(/OAuth only/);
    const write = await fleet.cli(['connect', 'acme', '--for', 'claude', '--local', '--write', join(home.dir, 'claude.json')]);
    expect(write.exitCode).toBe(2);
    expect(write.stderr).toMatch(/set up in its UI/);
  });

  test('ChatGPT takes OAuth only: for a key-only client, exit 2 saying so and how to offer OAuth, no configuration printed', async () => {
    const result = await fleet.cli(['connect', 'acme', '--for', 'chatgpt', '--local']);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/OAuth is the only way in/);
    expect(result.stderr).toMatch(/auth acme key,oauth/);
  });

  test('Gemini CLI: httpUrl and a header with the variable', async () => {
    const result = await fleet.cli(['connect', 'acme', '--for', 'gemini', '--local']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      mcpServers: { acme: { httpUrl: `${fleet.workerUrl('acme')}/mcp`, headers: { Authorization: `Bearer \${MCP_FLEET_ACME_API_KEY}` } } },
    });
  });
});
