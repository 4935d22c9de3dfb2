import { mkdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { Document, isMap, isScalar, isSeq } from 'yaml';
import { usageError } from '../../util/errors.js';
import { readFileIfExists, writeFileAtomic } from '../../util/files.js';

/**
 * The GitHub Actions workflow `init --ci github` writes: on a pull request, the deploy plan and
 * status into the step summary; on a push to main, a deploy of every client in waves, its --json
 * report kept as an artifact. One deploy at a time (a concurrency group that never cancels a
 * deploy); the token, account and the sealed secrets' identity come from repository secrets.
 */

export const WORKFLOW_PATH = join('.github', 'workflows', 'mcp-fleet.yml');

/** The file the deploy job keeps (upload-artifact): the deploy's --json document, secret-free. */
export const DEPLOY_REPORT = 'mcp-fleet-deploy.json';

/** Repository secrets the workflow reads (MCP_FLEET_AGE_IDENTITY: the key that opens `.secrets.<client>.age`). */
export const WORKFLOW_SECRETS = ['CLOUDFLARE_API_TOKEN', 'CLOUDFLARE_ACCOUNT_ID', 'MCP_FLEET_AGE_IDENTITY'] as const;

const SUMMARY = '--summary "$GITHUB_STEP_SUMMARY"';

/** A GitHub Actions expression, `${{ … }}` (written so for the linter: it is no JavaScript placeholder). */
function expression(text: string): string {
  return `\${{ ${text} }}`;
}

function setupSteps(): Record<string, unknown>[] {
  return [
    { uses: 'actions/checkout@v4' },
    { uses: 'actions/setup-node@v4', with: { 'node-version': 24, cache: 'npm' } },
    { run: 'npm ci' },
    // Before anything reads the account: a token without a permission the fleet needs fails here, with its fix.
    { name: 'doctor', run: 'npx mcp-fleet doctor' },
  ];
}

/** The workflow's text (fixed, but for the branch deploys run from). */
export function githubWorkflow(options: { branch: string } = { branch: 'main' }): string {
  const { branch } = options;
  const workflow = {
    name: 'mcp-fleet',
    on: { pull_request: { branches: [branch] }, push: { branches: [branch] } },
    permissions: { contents: 'read' },
    env: {
      ...Object.fromEntries(WORKFLOW_SECRETS.map((name) => [name, expression(`secrets.${name}`)])),
      WRANGLER_SEND_METRICS: 'false',
    },
    jobs: {
      plan: {
        name: 'deploy plan and status',
        if: "github.event_name == 'pull_request'",
        'runs-on': 'ubuntu-latest',
        concurrency: { group: `mcp-fleet-plan-${expression('github.ref')}`, 'cancel-in-progress': true },
        steps: [
          ...setupSteps(),
          { name: 'deploy plan', run: `npx mcp-fleet deploy --all --plan ${SUMMARY}` },
          { name: 'status', run: `npx mcp-fleet status --all ${SUMMARY}`, 'continue-on-error': true },
        ],
      },
      deploy: {
        name: 'deploy in waves',
        if: `github.event_name == 'push' && github.ref == 'refs/heads/${branch}'`,
        'runs-on': 'ubuntu-latest',
        concurrency: { group: 'mcp-fleet-deploy', 'cancel-in-progress': false },
        steps: [
          ...setupSteps(),
          { name: 'deploy', run: `npx mcp-fleet --json deploy --all ${SUMMARY} > ${DEPLOY_REPORT}` },
          {
            name: 'keep the deploy report',
            if: 'always()',
            uses: 'actions/upload-artifact@v4',
            with: { name: 'mcp-fleet-deploy', path: DEPLOY_REPORT, 'if-no-files-found': 'warn' },
          },
        ],
      },
    },
  };
  const doc = new Document(workflow);
  doc.commentBefore = [
    ' Written by `mcp-fleet init --ci github`. Repository secrets it needs (Settings → Secrets and',
    ` variables → Actions): ${WORKFLOW_SECRETS.join(', ')}.`,
    ' Pull requests from forks get no secrets: their plan and status cannot read the account.',
  ].join('\n');
  // A comment above a key: on the key's node (a comment on its value would print after the colon).
  const comment = (path: readonly string[], text: string) => {
    const parent = doc.getIn(path.slice(0, -1), true);
    const pair = isMap(parent) ? parent.items.find((item) => isScalar(item.key) && item.key.value === path.at(-1)) : undefined;
    if (pair && isScalar(pair.key)) pair.key.commentBefore = text;
  };
  comment(['jobs', 'plan', 'concurrency'], ' A newer push to the same pull request replaces its plan.');
  comment(['jobs', 'deploy', 'concurrency'], ' One deploy at a time, and a deploy is never cancelled halfway through its waves.');
  const planSteps = doc.getIn(['jobs', 'plan', 'steps'], true);
  if (isSeq(planSteps)) {
    const status = planSteps.items.find((item) => isMap(item) && item.get('name') === 'status');
    // A pull request's code is not deployed yet, so status reports it as drift (exit 1): that is the point of looking.
    if (isMap(status))
      status.commentBefore = ' The pull request is not deployed yet: status shows that as drift, which is no failure here.';
  }
  return doc.toString({ lineWidth: 0 });
}

export type WorkflowOutcome = 'created' | 'unchanged' | 'replaced';

export interface WorkflowWrite {
  /** Relative to the project. */
  path: string;
  outcome: WorkflowOutcome;
}

/**
 * Writes the workflow into the project. An existing file that says the same is left alone; one
 * that differs is replaced only with `force` (exit 2 naming it otherwise, the file untouched).
 */
export async function writeGithubWorkflow(dir: string, options: { force: boolean }): Promise<WorkflowWrite> {
  const path = join(dir, WORKFLOW_PATH);
  const text = githubWorkflow();
  const current = await readFileIfExists(path);
  const shown = relative(dir, path);
  if (current === text) return { path: shown, outcome: 'unchanged' };
  if (current !== undefined && !options.force)
    throw usageError(
      `${shown} exists and differs from the workflow mcp-fleet writes`,
      'Compare them, then pass --force to replace yours (or keep yours and leave out --ci)',
    );
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, text);
  return { path: shown, outcome: current === undefined ? 'created' : 'replaced' };
}

/** What the workflow needs from the project that it lacks: `npm ci` installs mcp-fleet only from package.json and its lock file. */
export async function workflowNotes(dir: string): Promise<string[]> {
  const notes: string[] = [];
  const text = await readFileIfExists(join(dir, 'package.json'));
  let pkg: { dependencies?: Record<string, string>; devDependencies?: Record<string, string> } = {};
  try {
    pkg = text === undefined ? {} : (JSON.parse(text) as typeof pkg);
  } catch {
    notes.push('package.json is not valid JSON: npm ci will fail until it is');
  }
  if (pkg.dependencies?.['mcp-fleet'] === undefined && pkg.devDependencies?.['mcp-fleet'] === undefined)
    notes.push('the workflow runs npx mcp-fleet after npm ci: add mcp-fleet to devDependencies (npm install -D mcp-fleet)');
  if ((await readFileIfExists(join(dir, 'package-lock.json'))) === undefined)
    notes.push('npm ci needs a package-lock.json: run npm install and commit it');
  return notes;
}
