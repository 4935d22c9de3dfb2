// `npm run dev -- <client> [wrangler dev options]`: runs one client's worker locally with
// `wrangler dev --env <client>`, that is with the client's vars from wrangler.jsonc and the
// secrets in its .secrets.<client>. Nothing is deployed and no Cloudflare account is needed.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, runWrangler } from './wrangler.js';

const [client, ...options] = process.argv.slice(2);
if (client === undefined || client.startsWith('-')) {
  console.error('usage: npm run dev -- <client> [wrangler dev options, e.g. --port 8788]');
  process.exit(2);
}
const file = join(projectRoot, `.secrets.${client}`);
if (!existsSync(file)) {
  console.error(`.secrets.${client} not found: add the client first (mcp-fleet add ${client})`);
  process.exit(2);
}

// wrangler reads --env-file with dotenv and then expands $NAME, so the client's file (mcp-fleet's
// format, where every value is literal) is not handed over as is: each value goes, quoted and
// with `$` escaped, into a file of its own (one per key, so no quote can run into the next entry)
// in a private directory that is removed when wrangler exits.
const dir = mkdtempSync(join(tmpdir(), `mcp-fleet-dev-${client}-`));
let code = 1;
try {
  const envFiles = [];
  for (const [key, value] of readSecrets(readFileSync(file, 'utf8'))) {
    const path = join(dir, `${key}.env`);
    writeFileSync(path, `${key}=${dotenvValue(key, value)}\n`, { mode: 0o600 });
    envFiles.push('--env-file', path);
  }
  code = await runWrangler(['dev', '--env', client, ...envFiles, ...options]);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(code);

/**
 * KEY=VALUE lines of a secrets file as mcp-fleet reads them: a bare value runs to the end of the
 * line byte for byte; '…' is literal; "…" knows \\ \" \n \r and may span lines. Errors never show
 * a line (it may hold a value): `mcp-fleet secrets status` names the file and line.
 * @param {string} text
 * @returns {Map<string, string>}
 */
function readSecrets(text) {
  const values = new Map();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = line
      .slice(0, eq)
      .trim()
      .replace(/^export\s+/, '');
    if (eq === -1 || !/^[A-Za-z_]\w*$/.test(key)) throw new Error(`.secrets.${client}:${i + 1} is not a KEY=VALUE line`);
    let rest = line.slice(eq + 1);
    if (rest.startsWith("'")) {
      values.set(key, rest.slice(1, rest.indexOf("'", 1)));
    } else if (rest.startsWith('"')) {
      let value = '';
      rest = rest.slice(1);
      for (;;) {
        const match = /^((?:[^"\\]|\\.)*)"/.exec(rest);
        if (match) {
          value += match[1];
          break;
        }
        if (i + 1 >= lines.length) throw new Error(`.secrets.${client}:${i + 1}: unterminated quote in the value of ${key}`);
        value += `${rest}\n`;
        rest = lines[++i] ?? '';
      }
      values.set(
        key,
        value.replace(/\\(.)/g, (_, /** @type {string} */ c) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c)),
      );
    } else {
      values.set(key, rest);
    }
  }
  return values;
}

/**
 * The value written so that dotenv reads it back unchanged, with every `$` escaped for the
 * expansion: in quotes it does not contain ("…" only without \n or \r in it, which dotenv turns
 * into line breaks), else bare when dotenv keeps it whole (no #, no space at either end).
 * @param {string} key
 * @param {string} value
 */
function dotenvValue(key, value) {
  const escaped = value.replaceAll('$', '\\$');
  const quote = ["'", '`', '"'].find((q) => !escaped.includes(q) && (q !== '"' || !/\\[nr]/.test(escaped)));
  if (quote !== undefined && !value.includes('\r')) return `${quote}${escaped}${quote}`;
  if (/^[^\s#'"`]([^#\r\n]*\S)?$/.test(escaped)) return escaped;
  throw new Error(
    `${key} cannot be handed to wrangler dev unchanged: its value holds a carriage return, or every kind of quote along with a #, a line break or a space at either end`,
  );
}
