import { parse as parseToml } from 'smol-toml';
import { describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { documentText, HOST_FORMATS, type Host, type HostServer, keyEnvName } from '../../src/ops/connect/host-configs.js';
import { mergeHostText } from '../../src/ops/connect/host-file.js';
import { withoutKeys } from '../../src/ops/connect/merge-config.js';
import { FleetError } from '../../src/util/errors.js';

/**
 * The mergers of `connect --write <file>`, pure: a host's existing file in, the merged text out.
 * Every byte of the old file is still there (in order) unless it belonged to the entry replaced,
 * comments included; the result parses to the old data plus exactly this fleet's entries; a
 * malformed file is refused naming its line; no name or value can become syntax of the file.
 */

/** `${inner}` as the hosts write it (not a template placeholder). */
const ref = (inner: string) => `\${${inner}}`;
const acme: HostServer = { name: 'acme', url: 'https://acme.example.workers.dev/mcp', envName: keyEnvName('acme') };
const globex: HostServer = { name: 'globex', url: 'http://globex.localhost:8787/mcp', envName: keyEnvName('globex') };

function merge(host: Host, text: string | undefined, servers: HostServer[] = [acme]) {
  return mergeHostText({ path: 'cfg', text, format: HOST_FORMATS[host], servers });
}

/** Whether every character of `before` is in `after`, in order: nothing of the old file was lost or moved. */
function keepsEveryByte(before: string, after: string): boolean {
  let at = 0;
  for (const char of after) if (char === before[at]) at++;
  return at === before.length;
}

function refusal(run: () => unknown): FleetError {
  try {
    run();
  } catch (error) {
    if (error instanceof FleetError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

function jsonc(text: string): Record<string, unknown> {
  // The test files' comments are on lines of their own or after a value: strip them to read the data.
  return JSON.parse(
    text
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/[^\n"]*$/gm, '')
      .replace(/,(\s*[}\]])/g, '$1'),
  ) as Record<string, unknown>;
}

describe('JSON host files (Cursor, VS Code, Claude Code, Windsurf, Gemini, Zed)', () => {
  const cursorFile = [
    '{',
    '  // my own servers',
    '  "mcpServers": {',
    `    "github": { "url": "https://api.githubcopilot.com/mcp/", "headers": { "Authorization": "Bearer ${ref('env:GH')}" } }, // work`,
    '    "local": {"command": "node", "args": ["server.js"]}',
    '  },',
    '  "theme": "dark"',
    '}',
    '',
  ].join('\n');

  test('a new entry joins the others; every byte of the old file stays, comments included', () => {
    const { text, changes } = merge('cursor', cursorFile, [acme, globex]);
    expect(keepsEveryByte(cursorFile, text)).toBe(true);
    expect(changes).toEqual(
      new Map([
        ['acme', 'added'],
        ['globex', 'added'],
      ]),
    );
    const doc = jsonc(text) as { mcpServers: Record<string, unknown>; theme: string };
    expect(Object.keys(doc.mcpServers)).toEqual(['github', 'local', 'acme', 'globex']);
    expect(doc.mcpServers.acme).toEqual({ url: acme.url, headers: { Authorization: `Bearer ${ref('env:MCP_FLEET_ACME_API_KEY')}` } });
    expect(doc.theme).toBe('dark');
    expect(text).toContain(
      `"github": { "url": "https://api.githubcopilot.com/mcp/", "headers": { "Authorization": "Bearer ${ref('env:GH')}" } }, // work`,
    );
    // The new entry is indented like its neighbours.
    expect(text).toContain('\n    "acme": {\n      "url": ');
  });

  test('an entry of the same name is replaced where it stands; the rest is byte for byte', () => {
    const old = cursorFile.replace('"local"', '"acme": {"url": "https://old.example/mcp"},\n    "local"');
    const { text, changes } = merge('cursor', old);
    expect(changes.get('acme')).toBe('replaced');
    const start = old.indexOf('{"url": "https://old');
    const end = old.indexOf('},\n    "local"') + 1;
    expect(text.slice(0, start)).toBe(old.slice(0, start));
    expect(text.slice(text.length - (old.length - end))).toBe(old.slice(end));
    expect((jsonc(text) as { mcpServers: Record<string, { url: string }> }).mcpServers.acme?.url).toBe(acme.url);
    // Merging again changes nothing.
    expect(merge('cursor', text)).toEqual({ text, changes: new Map([['acme', 'unchanged']]) });
  });

  test('VS Code: comments and trailing commas stay; the input is added once, and replaced by id', () => {
    const vscodeFile = [
      '// Workspace MCP servers',
      '{',
      '\t"servers": {',
      '\t\t/* ours */',
      '\t\t"db": { "type": "stdio", "command": "db-mcp", },',
      '\t},',
      '\t"inputs": [',
      '\t\t{ "type": "promptString", "id": "db-password", "password": true }, // asked once',
      '\t],',
      '}',
      '',
    ].join('\n');
    const { text } = merge('vscode', vscodeFile);
    expect(keepsEveryByte(vscodeFile, text)).toBe(true);
    expect(text).toContain('// asked once');
    expect(text).toContain('\n\t\t"acme": {\n\t\t\t"type": "http",');
    const doc = jsonc(text) as { servers: Record<string, unknown>; inputs: Array<{ id: string }> };
    expect(Object.keys(doc.servers)).toEqual(['db', 'acme']);
    expect(doc.inputs.map((input) => input.id)).toEqual(['db-password', 'mcp-fleet-acme-api-key']);

    const stale = text.replace("API key of acme's MCP server", 'old words');
    const again = merge('vscode', stale);
    expect((jsonc(again.text) as { inputs: Array<{ id: string; description: string }> }).inputs).toEqual([
      { type: 'promptString', id: 'db-password', password: true },
      expect.objectContaining({ id: 'mcp-fleet-acme-api-key', description: expect.stringContaining("API key of acme's") }),
    ]);
  });

  test('a file without the section gets one; CRLF and a one-line object keep their style', () => {
    const crlf = '{\r\n    "model": "x"\r\n}\r\n';
    const { text } = merge('gemini', crlf);
    expect(keepsEveryByte(crlf, text)).toBe(true);
    expect(text).not.toMatch(/[^\r]\n/);
    expect(jsonc(text)).toEqual({
      model: 'x',
      mcpServers: { acme: { httpUrl: acme.url, headers: { Authorization: `Bearer ${ref('MCP_FLEET_ACME_API_KEY')}` } } },
    });
    const oneLine = '{"context_servers": {"other": {"url": "https://o.example"}}}';
    const zed = merge('zed', oneLine, [{ ...acme, key: 'k' }]).text;
    expect(zed.split('\n')).toHaveLength(1);
    expect(keepsEveryByte(oneLine, zed)).toBe(true);
  });

  test('no file, a blank one or comments alone: the whole document', () => {
    for (const text of [undefined, '', '\n', '// nothing yet\n']) {
      const merged = merge('claude-code', text).text;
      if (text?.trim()) expect(merged.startsWith(text)).toBe(true);
      expect((jsonc(merged) as { mcpServers: Record<string, unknown> }).mcpServers.acme).toMatchObject({ type: 'http', url: acme.url });
    }
  });

  test('a malformed file is refused naming its line and column; so is a section of the wrong shape', () => {
    const broken = '{\n  "mcpServers": {\n    "a": {"url": "x"} "b": {}\n  }\n}\n';
    const error = refusal(() => merge('cursor', broken));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/^cfg:3:\d+: expected ","/);
    expect(refusal(() => merge('cursor', '{\n  "mcpServers": []\n}')).message).toMatch(/^cfg:2:\d+: "mcpServers" is a list/);
    expect(refusal(() => merge('cursor', '[1, 2]')).message).toMatch(/top level/);
    const twice = '{"mcpServers": {\n"acme": {},\n"acme": {}\n}}';
    expect(refusal(() => merge('cursor', twice)).message).toMatch(/^cfg:3:1: "mcpServers.acme" is given twice/);
  });

  test('a name or key full of JSON syntax stays a string: it adds exactly one entry', () => {
    const hostile: HostServer = {
      name: 'x"}, "evil": {"url": "https://evil.example',
      url: acme.url,
      envName: 'V',
      key: '"}},"evil":{"a":"',
    };
    const { text } = merge('zed', cursorFile.replace('mcpServers', 'context_servers'), [hostile]);
    const doc = jsonc(text) as { context_servers: Record<string, { headers: Record<string, string> }> };
    expect(Object.keys(doc.context_servers)).toEqual(['github', 'local', hostile.name]);
    expect(doc.context_servers[hostile.name]?.headers.Authorization).toBe(`Bearer ${hostile.key}`);
  });
});

describe('YAML host files (Goose, LibreChat)', () => {
  // Goose writes its config with serde: lists not indented under their key.
  const gooseFile = [
    '# Goose',
    'GOOSE_PROVIDER: openai',
    'extensions:',
    '  developer:',
    '    bundled: true',
    '    enabled: true   # always on',
    '    env_keys: []',
    '    name: developer',
    '    type: builtin',
    '  # a remote one',
    '  search:',
    "    uri: 'https://search.example/mcp'",
    '    env_keys:',
    '    - SEARCH_KEY',
    'GOOSE_MODEL: gpt-5',
    '',
  ].join('\n');

  test("a new entry goes at the end of the section, in the file's style; everything else stays", () => {
    const { text, changes } = merge('goose', gooseFile, [acme, globex]);
    expect(changes).toEqual(
      new Map([
        ['acme', 'added'],
        ['globex', 'added'],
      ]),
    );
    expect(keepsEveryByte(gooseFile, text)).toBe(true);
    expect(text).toContain("    uri: 'https://search.example/mcp'\n");
    expect(text).toContain('    env_keys:\n    - MCP_FLEET_ACME_API_KEY\n');
    const doc = parseYaml(text) as { extensions: Record<string, { uri: string }>; GOOSE_MODEL: string };
    expect(Object.keys(doc.extensions)).toEqual(['developer', 'search', 'acme', 'globex']);
    expect(doc.extensions.globex?.uri).toBe(globex.url);
    expect(doc.GOOSE_MODEL).toBe('gpt-5');
    expect(merge('goose', text, [acme, globex]).text).toBe(text);
  });

  test('an entry of the same name is replaced where it stands', () => {
    const old = gooseFile.replace('  # a remote one', '  acme:\n    uri: https://old.example/mcp\n  # a remote one');
    const { text, changes } = merge('goose', old);
    expect(changes.get('acme')).toBe('replaced');
    const start = old.indexOf('  acme:');
    const end = old.indexOf('  # a remote one');
    expect(text.slice(0, start)).toBe(old.slice(0, start));
    expect(text.endsWith(old.slice(end))).toBe(true);
    expect((parseYaml(text) as { extensions: Record<string, { uri: string }> }).extensions.acme?.uri).toBe(acme.url);
  });

  test('a file without the section, an empty section or a flow mapping', () => {
    const librechat = 'version: 1.2.8\ncache: true\n';
    const text = merge('librechat', librechat).text;
    expect(text.startsWith(librechat)).toBe(true);
    expect((parseYaml(text) as { mcpServers: Record<string, { url: string }> }).mcpServers.acme?.url).toBe(acme.url);
    for (const section of ['extensions:\n', 'extensions: {}\n', 'extensions: {other: {uri: x}} # flow\n']) {
      const merged = merge('goose', `# mine\n${section}`).text;
      expect(merged).toContain('# mine');
      expect(Object.keys((parseYaml(merged) as { extensions: object }).extensions)).toContain('acme');
    }
  });

  test('malformed YAML or a section that is a list is refused naming its line', () => {
    const error = refusal(() => merge('goose', 'extensions:\n  a: [1, 2\nb: c\n'));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/^cfg:3:\d+: /);
    expect(refusal(() => merge('goose', 'x: 1\nextensions:\n  - a\n')).message).toMatch(/^cfg:3:3: "extensions" is a list/);
    expect(refusal(() => merge('goose', 'a: 1\na: 2\n')).message).toMatch(/^cfg:2:1: Map keys must be unique/);
    expect(refusal(() => merge('goose', 'a: 1\n---\nb: 2\n')).message).toMatch(/2 YAML documents/);
  });

  test('a key or name with YAML specials stays one string; nothing is injected', () => {
    const key = `k: v\n- [x] # &a *a !!str '"{}|>`;
    const name = 'acme:\n  injected: true\nevil';
    const { text } = merge('goose', gooseFile, [{ ...acme, name, key }]);
    const doc = parseYaml(text) as { extensions: Record<string, { headers: Record<string, string> }> };
    expect(Object.keys(doc.extensions)).toEqual(['developer', 'search', name]);
    expect(doc.extensions[name]?.headers.Authorization).toBe(`Bearer ${key}`);
    expect(Object.keys(parseYaml(text) as object)).toEqual(['GOOSE_PROVIDER', 'extensions', 'GOOSE_MODEL']);
  });
});

describe("TOML host files (Codex's config.toml)", () => {
  const codexFile = [
    'model = "gpt-5-codex"',
    '# servers',
    '[mcp_servers.docs]',
    'command = "npx"',
    'args = [',
    '  "-y",',
    '  "[not.a.header]",',
    ']',
    '',
    '[mcp_servers.docs.env]',
    'TOKEN_NAME = """',
    '[mcp_servers.fake]',
    '"""',
    '',
    '# profiles below',
    '[profiles.fast]',
    'model = "o4-mini"',
    '',
  ].join('\n');

  test('a new table goes at the end; the rest is a byte-for-byte prefix', () => {
    const { text, changes } = merge('codex', codexFile, [acme, globex]);
    expect(changes).toEqual(
      new Map([
        ['acme', 'added'],
        ['globex', 'added'],
      ]),
    );
    expect(text.startsWith(codexFile)).toBe(true);
    expect(text.slice(codexFile.length)).toBe(
      `\n[mcp_servers.acme]\nurl = "${acme.url}"\nbearer_token_env_var = "MCP_FLEET_ACME_API_KEY"\n\n[mcp_servers.globex]\nurl = "${globex.url}"\nbearer_token_env_var = "MCP_FLEET_GLOBEX_API_KEY"\n`,
    );
    const doc = parseToml(text) as { mcp_servers: Record<string, unknown> };
    expect(Object.keys(doc.mcp_servers)).toEqual(['docs', 'acme', 'globex']);
    expect(merge('codex', text, [acme, globex]).text).toBe(text);
  });

  test('an existing table and its sub-tables are replaced where they stand; comments above the next table stay', () => {
    const old = codexFile.replace(
      '# profiles below',
      '[mcp_servers.acme]\nurl = "https://old.example/mcp"\nbearer_token = "inline"\n\n[mcp_servers.acme.env_http_headers]\nX = "Y"\n\n# profiles below',
    );
    const { text, changes } = merge('codex', old);
    expect(changes.get('acme')).toBe('replaced');
    const start = old.indexOf('[mcp_servers.acme]');
    expect(text.slice(0, start)).toBe(old.slice(0, start));
    expect(text.endsWith('\n# profiles below\n[profiles.fast]\nmodel = "o4-mini"\n')).toBe(true);
    expect((parseToml(text) as { mcp_servers: Record<string, unknown> }).mcp_servers.acme).toEqual({
      url: acme.url,
      bearer_token_env_var: 'MCP_FLEET_ACME_API_KEY',
    });
    expect(text).not.toContain('env_http_headers');
  });

  test('a server written as dotted keys or in an inline table is left for the person, file unchanged', () => {
    const dotted = '[mcp_servers]\nacme.url = "https://old.example/mcp"\n';
    expect(refusal(() => merge('codex', dotted)).message).toMatch(/dotted keys or an inline table/);
    const inline = 'mcp_servers = { other = { url = "https://o.example" } }\n';
    const error = refusal(() => merge('codex', inline));
    expect(error.message).toMatch(/cannot merge into this file's layout/);
    expect(error.hint).toContain('[mcp_servers.acme]');
  });

  test('malformed TOML is refused naming its line, without quoting the file', () => {
    const error = refusal(() => merge('codex', 'model = "x"\n[mcp_servers.a]\nbearer_token = "sk-secret-value\n'));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/^cfg:3:\d+: /);
    expect(`${error.message} ${error.hint}`).not.toContain('sk-secret');
    expect(refusal(() => merge('codex', 'mcp_servers = 3\n')).message).toMatch(/not a table of servers/);
  });

  test('a name or URL full of TOML syntax stays one string: no table is injected', () => {
    const name = 'x"]\n[mcp_servers.evil]\nurl = "https://evil.example';
    const url = 'https://acme.example/mcp"\n[mcp_servers.evil2]\nurl = "x';
    const { text } = merge('codex', codexFile, [{ ...acme, name, url }]);
    const doc = parseToml(text) as { mcp_servers: Record<string, { url: string }> };
    expect(Object.keys(doc.mcp_servers)).toEqual(['docs', name]);
    expect(doc.mcp_servers[name]?.url).toBe(url);
  });
});

describe('the check before any client is worked on (no servers)', () => {
  test.each([
    ['cursor', '{\n  "theme": "dark",\n}\n'],
    ['zed', '// Zed\n{}\n'],
    ['vscode', '// nothing yet\n'],
    ['goose', 'GOOSE_MODEL: x\n'],
    ['goose', '# only a comment\n'],
    ['codex', 'model = "x"\n'],
  ] as const)('%s: a valid file without the section passes and is left as it is', (host, text) => {
    expect(merge(host, text, []).text).toBe(text);
  });
});

describe('a refusal shows the entry to add by hand, never the key', () => {
  test('the entry in a hint has a placeholder where the key would be', () => {
    const key = 'sk-never-shown-0123456789';
    const [shown] = withoutKeys([{ ...acme, key }]);
    expect(documentText(HOST_FORMATS.zed, [shown as HostServer])).toContain('Bearer <the API_KEY of acme>');
    expect(documentText(HOST_FORMATS.zed, [shown as HostServer])).not.toContain(key);
    const error = refusal(() => merge('codex', 'mcp_servers = { other = { url = "https://o.example" } }\n', [{ ...acme, key }]));
    expect(error.hint).toContain('[mcp_servers.acme]');
    expect(`${error.message}\n${error.hint}`).not.toContain(key);
  });
});
