import { mkdir, readdir, readFile, stat, symlink } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { execa } from 'execa';
import { findProjectUp } from '../../config/project-root.js';
import { CONFIG_FILES } from '../../config/wrangler-config.js';
import { defaultWorkerProblem, loadFleet, TEMPLATE_FILE } from '../../fleet/fleet.js';
import { clientNameProblem } from '../../fleet/names.js';
import { ensureSecretsIgnored } from '../../secrets/git-guard.js';
import { FleetError, usageError } from '../../util/errors.js';
import { exists, writeFileAtomic } from '../../util/files.js';
import { commandLineIn } from '../../util/next-step.js';
import { packageRoot } from '../../util/package-root.js';
import { STATE_DIR_NAME } from '../../util/state-dir.js';

/** The date the worker template was last tested against; workerd rejects dates past its own build. */
export const TEMPLATE_COMPATIBILITY_DATE = '2026-11-01';

/** How the new project gets the worker's dependencies (the MCP SDK, zod, wrangler). */
export type DepsMode = 'link' | 'install' | 'none';

export interface InitOptions {
  dir: string;
  /** Add only .secrets.template and .gitignore entries to an existing wrangler project. */
  adopt: boolean;
  deps: DepsMode;
  /** Top-level worker name; defaults to the directory's name, made valid. */
  name?: string;
  /** Defaults to TEMPLATE_COMPATIBILITY_DATE. */
  compatibilityDate?: string;
}

export interface InitResult {
  dir: string;
  name: string | undefined;
  adopted: boolean;
  created: string[];
  deps: DepsMode;
  /** Adopted: the clients found (env sections, and the top-level worker when it has a secrets file). */
  clients?: string[];
  /** Adopted: the top-level worker, whether it is a client, and whether `add <name> --default` could make it one. */
  topLevel?: { name: string; client: boolean; canBeClient: boolean };
  /** Adopted: the env clients without a secrets file yet (`add <client> --adopt` makes one, keeping the live key). */
  withoutSecrets?: string[];
}

function templateDir(): string {
  return join(packageRoot(), 'templates', 'project');
}

/** A worker name from a directory name: lowercase, dashes for anything else, trimmed to a valid name. */
export function projectNameFrom(dir: string): string {
  const slug = basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '')
    .slice(0, 54)
    .replace(/-+$/, '');
  return slug === '' ? 'mcp-fleet' : slug;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

/** A repository made on a code host often starts with one: kept as it is, not a conflict. */
const KEPT_IF_PRESENT: ReadonlySet<string> = new Set(['README.md']);

/** npm drops files named .gitignore from published packages, so the template keeps it as `gitignore`. */
function targetName(templatePath: string): string {
  return templatePath === 'gitignore' ? '.gitignore' : templatePath;
}

export async function initProject(options: InitOptions): Promise<InitResult> {
  const { dir } = options;
  const configPresent = (await Promise.all(CONFIG_FILES.map((name) => exists(join(dir, name))))).some(Boolean);
  if (options.adopt) return adoptProject(dir, configPresent, options.deps);
  if (configPresent) {
    throw usageError(
      `${dir} already holds a wrangler config`,
      `To add mcp-fleet to an existing wrangler project, run: ${commandLineIn(dir, 'init', '--adopt')}`,
    );
  }
  await refuseNesting(dir);
  const name = options.name ?? projectNameFrom(dir);
  const problem = clientNameProblem(name);
  if (problem) throw usageError(`--name: ${problem}`);

  const source = templateDir();
  const files: string[] = [];
  const conflicts: string[] = [];
  for (const file of await listFiles(source)) {
    const present = await exists(join(dir, targetName(file)));
    if (!present) files.push(file);
    else if (!KEPT_IF_PRESENT.has(file)) conflicts.push(targetName(file));
  }
  if (conflicts.length > 0) {
    throw usageError(
      `${dir} already has ${conflicts.join(', ')}`,
      'Pick an empty directory, or use --adopt for an existing wrangler project.',
    );
  }

  await mkdir(dir, { recursive: true });
  const created: string[] = [];
  for (const file of files) {
    const text = (await readFile(join(source, file), 'utf8'))
      .replaceAll('__NAME__', name)
      .replaceAll('__COMPATIBILITY_DATE__', options.compatibilityDate ?? TEMPLATE_COMPATIBILITY_DATE);
    const target = join(dir, targetName(file));
    await mkdir(dirname(target), { recursive: true });
    const mode = (await stat(join(source, file))).mode & 0o777;
    await writeFileAtomic(target, text, { mode: mode | 0o644 });
    created.push(targetName(file));
  }
  await provideDependencies(dir, options.deps);
  return { dir, name, adopted: false, created: created.sort(), deps: options.deps };
}

/**
 * A new project inside an existing one nests silently: wrangler and mcp-fleet run from the inner
 * project's subdirectories may find the outer one, and the outer project's git sees the inner one's
 * files. Refused, naming the enclosing project.
 */
async function refuseNesting(dir: string): Promise<void> {
  const enclosing = await findProjectUp(dirname(dir));
  if (!enclosing) return;
  throw usageError(
    `${dir} is inside the wrangler project at ${enclosing.dir} (${enclosing.config}); init does not make a project inside another`,
    `To add a client to that project: ${commandLineIn(enclosing.dir, 'add', '<client>')} — for a separate project, pick a directory outside ${enclosing.dir}.`,
  );
}

async function adoptProject(dir: string, configPresent: boolean, deps: DepsMode): Promise<InitResult> {
  if (!configPresent)
    throw usageError(
      `--adopt: ${dir} has no wrangler.jsonc to adopt`,
      `Run ${commandLineIn(dir, 'init')} without --adopt to scaffold a new project.`,
    );
  // A config mcp-fleet cannot read is reported before anything is added beside it.
  const fleet = await loadFleet(dir);
  const created: string[] = [];
  const templatePath = join(dir, TEMPLATE_FILE);
  if (!(await exists(templatePath))) {
    await writeFileAtomic(templatePath, await readFile(join(templateDir(), TEMPLATE_FILE), 'utf8'));
    created.push(TEMPLATE_FILE);
  }
  if (await ensureSecretsIgnored(dir, [`${STATE_DIR_NAME}/`])) created.push('.gitignore');
  const topLevel = fleet.topLevelName;
  const withoutSecrets: string[] = [];
  for (const client of fleet.clients)
    if (client.envName !== undefined && !(await exists(client.secretsPath))) withoutSecrets.push(client.name);
  return {
    dir,
    name: undefined,
    adopted: true,
    created,
    deps: deps === 'install' ? deps : 'none',
    clients: fleet.clients.map((client) => client.name),
    withoutSecrets,
    topLevel:
      topLevel === undefined
        ? undefined
        : {
            name: topLevel,
            client: fleet.clients.some((client) => client.envName === undefined),
            canBeClient: defaultWorkerProblem(fleet.config) === undefined,
          },
  };
}

/**
 * `link` points node_modules at mcp-fleet's own dependencies, so a new project deploys at once
 * and offline; `install` gives it its own with npm; `none` leaves that to the user.
 */
async function provideDependencies(dir: string, deps: DepsMode): Promise<void> {
  if (deps === 'none') return;
  if (deps === 'link') {
    const own = join(packageRoot(), 'node_modules');
    if (!(await exists(own)))
      throw new FleetError(`cannot link dependencies: ${own} does not exist`, {
        hint: `Use ${commandLineIn(dir, 'init', '--deps', 'install')} instead.`,
      });
    await symlink(own, join(dir, 'node_modules'), 'dir');
    return;
  }
  const result = await execa('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir, reject: false, all: true });
  if (result.exitCode !== 0) {
    throw new FleetError(`npm install failed in ${dir}`, {
      hint: String(result.all ?? '')
        .split('\n')
        .slice(-5)
        .join('\n'),
    });
  }
}
