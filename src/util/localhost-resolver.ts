import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, setGlobalDispatcher } from 'undici';

/**
 * Node's fetch does not resolve `<name>.localhost` (curl and browsers do), and it ignores a Host
 * header set by the caller. The local edge serves each worker at `http://<worker>.localhost:<port>`,
 * so Node clients (our own checks, the MCP SDK client, the MCP Inspector run as a child) need a
 * lookup that maps `*.localhost` to loopback while keeping the hostname in the request.
 *
 * In-process: call installLocalhostResolver(). For any Node program:
 *   node --import <path to dist/localhost-resolver.js> …
 *   NODE_OPTIONS="--import <path to dist/localhost-resolver.js>" npx @modelcontextprotocol/inspector …
 */

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export function isLocalhostName(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return host === 'localhost' || host.endsWith('.localhost');
}

/** A dns.lookup replacement: `localhost` and `*.localhost` → 127.0.0.1, everything else → dns.lookup. */
export function localhostLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  if (isLocalhostName(hostname)) {
    if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
    return;
  }
  dnsLookup(hostname, options, callback as never);
}

let installed = false;

/** Makes Node's global fetch (undici) resolve `*.localhost` to 127.0.0.1. Idempotent. */
export function installLocalhostResolver(): void {
  if (installed) return;
  installed = true;
  setGlobalDispatcher(new Agent({ connect: { lookup: localhostLookup as never } }));
}

/** The path of the built module, for `node --import <path>`. */
export function localhostResolverPath(): string {
  const here = fileURLToPath(import.meta.url);
  // Built: dist/cli.js or a dist chunk, beside dist/localhost-resolver.js. From source (tests): src/util/….
  const distDir = basename(dirname(here)) === 'dist' ? dirname(here) : join(dirname(here), '..', '..', 'dist');
  return join(distDir, 'localhost-resolver.js');
}

// Loaded through `node --import …/localhost-resolver.js` (or NODE_OPTIONS), install at once. The check is by
// name because a bundler may place this code in a shared chunk whose URL is not the entry's.
export function requestedByNodeFlags(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const imports = execArgv.filter((arg, index) => arg.startsWith('--import=') || execArgv[index - 1] === '--import');
  return [...imports, nodeOptions ?? ''].some((value) => /localhost-resolver(\.[cm]?js)?\b/.test(value));
}
if (requestedByNodeFlags(process.execArgv, process.env.NODE_OPTIONS)) installLocalhostResolver();
