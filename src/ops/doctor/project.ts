import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { modesOf, needsIdentityStore } from '../../config/auth-modes.js';
import type { Fleet } from '../../fleet/fleet.js';
import { edgeStatus } from '../../local/lifecycle/detach.js';
import { readRememberedTarget } from '../../local/lifecycle/remembered-target.js';
import { SECRETS_IGNORE_LINES } from '../../secrets/git-guard.js';
import { SEALED_SUFFIX } from '../../secrets/secrets-file.js';
import { describeError, isFleetError } from '../../util/errors.js';
import { readFileIfExists } from '../../util/files.js';
import { commandLine, shellQuote } from '../../util/next-step.js';
import { upgradeConfig } from '../project/upgrade-config.js';
import { type DoctorCheck, exposedMode, type FleetFeatures, fail, ok, warn } from './checks.js';

/** The project's part: its secrets files, git, the local edge's state, and how current its worker and config are. */

/** Sealed secrets files (`.secrets.<client>.age`) are encrypted and meant to be committed. */

/** The plaintext secrets files in the project directory (every `.secrets.*` but the template and sealed files). */
export async function secretsFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((name) => name.startsWith('.secrets.') && name !== '.secrets.template' && !name.endsWith(SEALED_SUFFIX)).sort();
}

export function fleetFeatures(fleet: Fleet): FleetFeatures {
  return {
    identity: fleet.clients.some((client) => needsIdentityStore(modesOf(client.env.vars?.AUTH_MODES))),
    metrics: fleet.clients.some((client) => client.dataset !== undefined),
  };
}

/** A project file as a fix names it: relative to where doctor runs, so the line works as printed. */
function shownPath(dir: string, name: string): string {
  return shellQuote(relative(process.cwd(), join(dir, name)) || name);
}

/** Every plaintext secrets file is private to its owner (0600). */
export async function modeChecks(dir: string, files: readonly string[]): Promise<DoctorCheck[]> {
  const title = 'secrets file modes';
  if (files.length === 0) return [ok('secrets.modes', title, 'no secrets files yet')];
  // Windows has no such mode bits: what protects the files there is the user profile's ACL.
  if (process.platform === 'win32') return [ok('secrets.modes', title, 'not checked on Windows')];
  const exposed: DoctorCheck[] = [];
  for (const name of files) {
    const mode = (await stat(join(dir, name))).mode & 0o777;
    if (exposedMode(mode))
      exposed.push(
        fail(
          'secrets.modes',
          `${name} mode`,
          `${name} is ${mode.toString(8).padStart(4, '0')}: other users of this machine can read its secrets`,
          `chmod 600 ${shownPath(dir, name)}`,
        ),
      );
  }
  return exposed.length > 0 ? exposed : [ok('secrets.modes', title, `${files.length} file(s), each 0600`)];
}

async function git(dir: string, args: readonly string[]): Promise<{ exitCode: number; stdout: string }> {
  const result = await execa('git', args, { cwd: dir, reject: false });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout) };
}

/** Secrets files are ignored by git (and none is tracked); without git, .gitignore names the lines init writes. */
export async function gitChecks(dir: string, files: readonly string[]): Promise<DoctorCheck[]> {
  const title = 'secrets kept out of git';
  const ignoreFix = `Add these lines to .gitignore: ${SECRETS_IGNORE_LINES.join('  ')}`;
  const inRepo = await git(dir, ['rev-parse', '--is-inside-work-tree']).catch(() => undefined);
  if (inRepo?.exitCode !== 0) {
    const text = (await readFileIfExists(join(dir, '.gitignore'))) ?? '';
    const present = new Set(text.split(/\r?\n/).map((line) => line.trim()));
    const missing = SECRETS_IGNORE_LINES.filter((line) => !present.has(line));
    if (missing.length === 0) return [ok('secrets.git', title, 'not a git repository; .gitignore ignores secrets files')];
    return [warn('secrets.git', title, `not a git repository yet, and .gitignore lacks ${missing.join(', ')}`, ignoreFix)];
  }
  const checks: DoctorCheck[] = [];
  const tracked = (await git(dir, ['ls-files', '--', '.secrets.*'])).stdout
    .split('\n')
    .filter((name) => name !== '' && name !== '.secrets.template' && !name.endsWith(SEALED_SUFFIX));
  for (const name of tracked)
    checks.push(
      fail(
        'secrets.git',
        `${name} in git`,
        `git tracks ${name}: its secrets are in the repository`,
        `git -C ${shellQuote(dir)} rm --cached -- ${shellQuote(name)}`,
      ),
    );
  // A name no client has yet: whether the next secrets file would be ignored too.
  const probe = '.secrets.doctor-probe';
  const unignored: string[] = [];
  for (const name of [...files, probe]) {
    if ((await git(dir, ['check-ignore', '-q', '--no-index', '--', name])).exitCode !== 0) unignored.push(name);
  }
  if (unignored.length > 0) {
    const named = unignored.filter((name) => name !== probe);
    checks.push(
      fail(
        'secrets.git',
        title,
        named.length > 0
          ? `git does not ignore ${named.join(', ')}`
          : "git would not ignore a new client's secrets file (.secrets.<client>)",
        ignoreFix,
      ),
    );
  }
  if (checks.length === 0) checks.push(ok('secrets.git', title, `git ignores every .secrets.* file but the template`));
  return checks;
}

/** The local edge: running, stale (edge.json names a process that is gone), or absent, against what the project acts on. */
export async function edgeChecks(dir: string): Promise<DoctorCheck[]> {
  const title = 'local edge';
  try {
    const [status, remembered] = await Promise.all([edgeStatus(dir), readRememberedTarget(dir)]);
    const acts = remembered ? 'this project acts on it (since local start)' : 'commands act on Cloudflare unless given --local';
    if (status.running) return [ok('edge', title, `running (pid ${status.info.pid}, ${status.info.apiBaseUrl}); ${acts}`)];
    if (status.stale)
      return [
        warn(
          'edge',
          title,
          `edge.json names an edge (pid ${status.info?.pid ?? '?'}) that is not running or is not this project's`,
          `${commandLine('local', 'stop')} (removes the stale edge.json), then ${commandLine('local', 'start', '--detach')} if you want it`,
        ),
      ];
    if (remembered)
      return [
        fail(
          'edge',
          title,
          'this project acts on the local edge (local start made it the default), but no edge is running',
          `${commandLine('local', 'start', '--detach')} — or act on Cloudflare again: ${commandLine('local', 'stop')}`,
        ),
      ];
    return [ok('edge', title, `not running; ${acts}`)];
  } catch (error) {
    return [fail('edge', title, describeError(error), isFleetError(error) && error.hint ? error.hint : `${commandLine('local', 'stop')}`)];
  }
}

/** The worker's template generation (its MCP package) and whether clients' sections lack what `add` writes today. */
export async function templateChecks(fleet: Fleet): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const text = await readFileIfExists(join(fleet.dir, 'package.json'));
  let deps: Record<string, string> = {};
  try {
    const pkg =
      text === undefined ? {} : (JSON.parse(text) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> });
    deps = { ...pkg.devDependencies, ...pkg.dependencies };
  } catch {
    checks.push(warn('template', 'worker template', 'package.json is not valid JSON', 'Fix package.json (npm reads it too)'));
  }
  if (deps['@modelcontextprotocol/server'] !== undefined)
    checks.push(ok('template', 'worker template', 'the current template (MCP 2026-07-28 and the 2025 revisions)'));
  else if (deps['@modelcontextprotocol/sdk'] !== undefined)
    checks.push(
      warn(
        'template',
        'worker template',
        'the earlier template (@modelcontextprotocol/sdk: the 2025 revisions only, no Origin check)',
        'Move the worker to the current template: docs/adopting.md, "Moving to the current template"',
      ),
    );
  else if (checks.length === 0)
    checks.push(ok('template', 'worker template', 'not an mcp-fleet template worker (no MCP package in package.json)'));

  const upgrade = await upgradeConfig(fleet, fleet.clients, { check: true });
  const lacking = upgrade.clients.filter((client) => client.added.length > 0);
  if (lacking.length === 0)
    checks.push(ok('config.sections', 'client sections', `${fleet.clients.length} section(s) have what add writes today`));
  else
    checks.push(
      warn(
        'config.sections',
        'client sections',
        `${lacking.map((client) => `${client.section} lacks ${client.added.join(', ')}`).join('; ')}`,
        commandLine('upgrade-config', '--all'),
      ),
    );
  return checks;
}
