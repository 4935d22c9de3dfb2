import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { resolveWrangler } from '../../cloudflare/wrangler.js';
import { describeError } from '../../util/errors.js';
import { packageRoot } from '../../util/package-root.js';
import { type DoctorCheck, fail, ok, versionAtLeast, warn } from './checks.js';

/** The machine's part: the Node running mcp-fleet and the wrangler a project would run. */

interface Manifest {
  version?: string;
  engines?: { node?: string };
}

async function manifest(path: string): Promise<Manifest> {
  return JSON.parse(await readFile(path, 'utf8')) as Manifest;
}

/** The Node mcp-fleet's package.json asks for (`>=22.12`), against the one running. */
export async function nodeCheck(version = process.versions.node): Promise<DoctorCheck> {
  const required = (await manifest(join(packageRoot(), 'package.json'))).engines?.node ?? '>=22.12';
  const title = 'Node.js';
  if (versionAtLeast(version, required)) return ok('node', title, `Node ${version} (mcp-fleet needs ${required})`);
  return fail(
    'node',
    title,
    `Node ${version}; mcp-fleet needs ${required}`,
    'Install Node 22.12 or newer (https://nodejs.org, or: nvm install 24)',
  );
}

/** The package.json of the wrangler package a bin path belongs to. */
async function wranglerManifestOf(binPath: string): Promise<Manifest | undefined> {
  for (let dir = dirname(binPath); dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = await manifest(join(dir, 'package.json')).catch(() => undefined);
    if (candidate && (candidate as { name?: string }).name === 'wrangler') return candidate;
  }
  return undefined;
}

/** The wrangler `deploy` would run in `projectDir` (the project's own, else mcp-fleet's), against the one mcp-fleet is tested with. */
export async function wranglerCheck(projectDir: string | undefined): Promise<DoctorCheck> {
  const title = 'wrangler';
  const ours = (await manifest(createRequire(import.meta.url).resolve('wrangler/package.json')).catch(() => undefined))?.version;
  if (projectDir === undefined)
    return ours === undefined
      ? fail('wrangler', title, 'mcp-fleet cannot find its own wrangler', 'Reinstall mcp-fleet')
      : ok('wrangler', title, `wrangler ${ours} (mcp-fleet's own)`);
  try {
    const resolved = await resolveWrangler(projectDir);
    const version = (await wranglerManifestOf(resolved.binPath))?.version;
    if (version === undefined)
      return warn('wrangler', title, `cannot read the version of ${resolved.binPath}`, 'Reinstall it: npm install -D wrangler');
    if (resolved.source === 'mcp-fleet' || version === ours)
      return ok('wrangler', title, `wrangler ${version} (${resolved.source === 'project' ? "the project's" : "mcp-fleet's own"})`);
    return warn(
      'wrangler',
      title,
      `the project's wrangler is ${version}; mcp-fleet is tested with ${ours ?? 'another version'}`,
      `npm install -D wrangler@${ours ?? 'latest'}`,
    );
  } catch (error) {
    return fail('wrangler', title, `no wrangler to run: ${describeError(error)}`, 'Reinstall mcp-fleet, or: npm install -D wrangler');
  }
}
