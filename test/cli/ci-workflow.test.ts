import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { DeployJson } from '../../src/ui/json/index.js';
import { SCHEMA_VERSION } from '../../src/ui/json/index.js';
import { closeTestFleet, createTestFleet, type TestFleet } from '../helpers/fleet.js';

/**
 * `init --ci github` and `--summary`: the workflow it writes passes GitHub's own workflow parser
 * (@actions/workflow-parser, the schema GitHub validates with), it is never overwritten unasked,
 * and the commands it runs work as CI runs them — no TTY, CI=true, the token from the
 * environment — against the local edge named as Cloudflare, each appending its table to the step
 * summary file.
 */

const WORKFLOW = join('.github', 'workflows', 'mcp-fleet.yml');

let fleet: TestFleet;

beforeAll(async () => {
  fleet = await createTestFleet('ci', ['acme', 'globex']);
}, 300_000);

afterAll(async () => {
  await closeTestFleet(fleet);
});

/** The edge as Cloudflare, as the workflow's repository secrets would give it. */
function ciEnv(summaryFile: string): Record<string, string> {
  return {
    CI: 'true',
    GITHUB_STEP_SUMMARY: summaryFile,
    CLOUDFLARE_API_BASE_URL: fleet.edge.info.apiBaseUrl,
    CLOUDFLARE_API_TOKEN: fleet.edge.info.token,
    CLOUDFLARE_ACCOUNT_ID: fleet.edge.info.accountId,
    MCP_FLEET_TARGET: '',
  };
}

function validate(name: string, content: string) {
  const result = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  return { result, errors: result.context.errors.getErrors().map((error) => error.message) };
}

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  if?: string;
  with?: Record<string, unknown>;
  'continue-on-error'?: boolean;
}

/** A `run:` line of the workflow as argv and an optional `> file` redirect, with $GITHUB_STEP_SUMMARY expanded. */
function commandOf(run: string, summaryFile: string): { args: string[]; redirect: string | undefined } {
  const words = [...run.matchAll(/"([^"]*)"|(\S+)/g)].map((match) =>
    (match[1] ?? match[2] ?? '').replaceAll('$GITHUB_STEP_SUMMARY', summaryFile),
  );
  const at = words.indexOf('>');
  const redirect = at === -1 ? undefined : words[at + 1];
  const argv = at === -1 ? words : words.slice(0, at);
  expect(argv.slice(0, 2)).toEqual(['npx', 'mcp-fleet']);
  return { args: argv.slice(2), redirect };
}

describe('init --ci github', () => {
  it("writes a workflow GitHub's parser accepts: plan and status on pull requests, one deploy at a time on main", async () => {
    const result = await fleet.cliJson<{ ci: { path: string; outcome: string } }>(['init', '--ci', 'github']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.ci).toEqual({ path: WORKFLOW, outcome: 'created' });
    const text = await readFile(join(fleet.dir, WORKFLOW), 'utf8');
    const { result: parsed, errors } = validate('mcp-fleet.yml', text);
    expect(errors).toEqual([]);
    if (!parsed.value) throw new Error('the parser returned no workflow');
    const template = await convertWorkflowTemplate(parsed.context, parsed.value);
    expect(template.errors ?? []).toEqual([]);
    expect(template.jobs.map((job) => job.id.value)).toEqual(['plan', 'deploy']);

    const workflow = parse(text) as {
      on: Record<string, { branches: string[] }>;
      env: Record<string, string>;
      jobs: Record<string, { concurrency: { group: string; 'cancel-in-progress': boolean }; steps: Step[] }>;
    };
    expect(workflow.on.pull_request?.branches).toEqual(['main']);
    expect(workflow.on.push?.branches).toEqual(['main']);
    for (const secret of ['CLOUDFLARE_API_TOKEN', 'CLOUDFLARE_ACCOUNT_ID', 'MCP_FLEET_AGE_IDENTITY'])
      expect(workflow.env[secret]).toBe(`\${{ secrets.${secret} }}`);
    const deploy = workflow.jobs.deploy;
    expect(deploy?.concurrency).toEqual({ group: 'mcp-fleet-deploy', 'cancel-in-progress': false });
    for (const job of Object.values(workflow.jobs)) {
      expect(job.steps.find((step) => step.uses?.startsWith('actions/setup-node@'))?.with?.['node-version']).toBe(24);
      expect(job.steps.some((step) => step.run === 'npm ci')).toBe(true);
      expect(job.steps.findIndex((step) => step.run === 'npx mcp-fleet doctor')).toBe(3);
    }
    const runs = workflow.jobs.plan?.steps.map((step) => step.run).filter(Boolean);
    expect(runs).toContain('npx mcp-fleet deploy --all --plan --summary "$GITHUB_STEP_SUMMARY"');
    expect(runs).toContain('npx mcp-fleet status --all --summary "$GITHUB_STEP_SUMMARY"');
    const upload = deploy?.steps.find((step) => step.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.with?.path).toBe('mcp-fleet-deploy.json');
    expect(upload?.if).toBe('always()');
  });

  it('the parser the test relies on does refuse a broken workflow', async () => {
    const text = await readFile(join(fleet.dir, WORKFLOW), 'utf8');
    expect(validate('broken.yml', text.replace('runs-on: ubuntu-latest', 'runs_on: ubuntu-latest')).errors.length).toBeGreaterThan(0);
    expect(
      validate('broken.yml', text.replace('cancel-in-progress: false', 'cancel-in-progress: sometimes')).errors.length,
    ).toBeGreaterThan(0);
  });

  it('leaves the same workflow alone, and refuses to replace a different one without --force (exit 2, untouched)', async () => {
    const path = join(fleet.dir, WORKFLOW);
    const again = await fleet.cliJson<{ ci: { outcome: string } }>(['init', '--ci', 'github']);
    expect(again.exitCode).toBe(0);
    expect(again.json.ci.outcome).toBe('unchanged');

    const own = `${await readFile(path, 'utf8')}# my own change\n`;
    await writeFile(path, own);
    const refused = await fleet.cli(['init', '--ci', 'github']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain(`${WORKFLOW} exists and differs`);
    expect(refused.stderr).toContain('--force');
    expect(await readFile(path, 'utf8')).toBe(own);

    const forced = await fleet.cliJson<{ ci: { outcome: string } }>(['init', '--ci', 'github', '--force']);
    expect(forced.exitCode).toBe(0);
    expect(forced.json.ci.outcome).toBe('replaced');
    expect(await readFile(path, 'utf8')).not.toContain('# my own change');
  });

  it('runs its commands as CI does, each appending its table to the step summary', async () => {
    const summaryFile = join(fleet.dir, '..', 'step-summary.md');
    // An earlier step's summary: appended to, never replaced.
    await writeFile(summaryFile, '## earlier step\n\n');
    const workflow = parse(await readFile(join(fleet.dir, WORKFLOW), 'utf8')) as { jobs: Record<string, { steps: Step[] }> };
    const run = async (job: string, env: Record<string, string>) => {
      for (const step of workflow.jobs[job]?.steps ?? []) {
        if (!step.run || step.run === 'npm ci') continue;
        const { args, redirect } = commandOf(step.run, summaryFile);
        const result = await fleet.cli(args, { env });
        if (!step['continue-on-error']) expect(result.exitCode, `${step.run}\n${result.stderr}`).toBe(0);
        if (redirect) await writeFile(join(fleet.dir, redirect), result.stdout);
      }
    };
    // The pull request: nothing is deployed yet.
    await run('plan', ciEnv(summaryFile));
    let summary = await readFile(summaryFile, 'utf8');
    expect(summary.startsWith('## earlier step\n\n')).toBe(true);
    expect(summary).toContain('### mcp-fleet deploy --all --plan');
    expect(summary).toMatch(/\| acme \| acme \| 1 \| /);
    expect(summary).toContain('plan only, nothing changed: 2 client(s)');
    expect(summary).toContain('### mcp-fleet status --all');
    expect(summary).toContain('on Cloudflare');
    expect(summary).not.toContain('doctor');
    expect(summary).not.toContain('### mcp-fleet deploy --all\n');

    // The push to main: a deploy in waves, its report kept. Named as Cloudflare, the edge's workers
    // would have workers.dev URLs, which do not resolve here; as the local edge (the same API, chosen
    // by MCP_FLEET_TARGET, the token from edge.json) they answer, so the waves' checks run.
    // As in CI the secrets come from the committed sealed files, opened in memory with the identity
    // from the repository's secrets: no plain secrets file is there, and none appears.
    const identityFile = join(fleet.dir, '..', 'ci-identity.txt');
    const made = await fleet.cliJson<{ recipient: string }>(['recipients', 'keygen', '--out', identityFile]);
    expect((await fleet.cli(['recipients', 'add', made.json.recipient, '--name', 'ci'])).exitCode).toBe(0);
    expect((await fleet.cli(['secrets', 'seal', '--all'])).exitCode).toBe(0);
    const identity = (await readFile(identityFile, 'utf8')).split('\n').find((line) => line.startsWith('AGE-SECRET-KEY-')) ?? '';
    fleet.leaks.addSecret(identity, 'the CI age identity');
    const aside = (client: string) => join(fleet.dir, '..', `plain-secrets.${client}`);
    for (const client of ['acme', 'globex']) await rename(join(fleet.dir, `.secrets.${client}`), aside(client));
    try {
      await run('deploy', {
        ...ciEnv(summaryFile),
        MCP_FLEET_TARGET: 'local',
        MCP_FLEET_AGE_IDENTITY: identity,
        XDG_CONFIG_HOME: join(fleet.dir, '..', 'no-config'),
      });
      expect((await readdir(fleet.dir)).filter((name) => /^\.secrets\.(acme|globex)$/.test(name))).toEqual([]);
    } finally {
      for (const client of ['acme', 'globex']) await rename(aside(client), join(fleet.dir, `.secrets.${client}`));
    }
    summary = await readFile(summaryFile, 'utf8');
    const deploySection = summary.slice(summary.lastIndexOf('### mcp-fleet deploy --all\n'));
    expect(deploySection).toMatch(/\| acme \| acme \| ✅ \| deployed \| 1 \|/);
    expect(deploySection).toMatch(/\| globex \| globex \| ✅ \| deployed \| 2 \|/);
    expect(deploySection).toContain('on the local edge — 2 clients: 2 ok, 0 failed');
    const report = JSON.parse(await readFile(join(fleet.dir, 'mcp-fleet-deploy.json'), 'utf8')) as DeployJson;
    expect(report.schemaVersion).toBe(SCHEMA_VERSION);
    expect(report.ok).toBe(true);
    expect(report.clients.map((client) => client.outcome)).toEqual(['deployed', 'deployed']);

    // Deployed now: the same status is in sync.
    const status = await fleet.cli(['status', '--all', '--summary', summaryFile], { env: ciEnv(summaryFile) });
    expect(status.exitCode, status.stderr).toBe(0);
    expect(await readFile(summaryFile, 'utf8')).toContain('2 client(s): 2 in sync, 0 drifted');
    fleet.leaks.record('the step summary', await readFile(summaryFile, 'utf8'));
  });

  it('verify, secrets push and secrets rotate append their tables too: names, never a value', async () => {
    const summaryFile = join(fleet.dir, '..', 'day-two-summary.md');
    await writeFile(summaryFile, '');
    const env = { ...ciEnv(summaryFile), MCP_FLEET_TARGET: 'local' };
    for (const args of [
      ['verify', '--all'],
      ['secrets', 'push', '--all'],
      ['secrets', 'rotate', 'acme', '--yes'],
    ]) {
      const result = await fleet.cli([...args, '--summary', summaryFile], { env });
      expect(result.exitCode, `${args.join(' ')}\n${result.stderr}`).toBe(0);
    }
    const summary = await readFile(summaryFile, 'utf8');
    expect(summary).toContain('### mcp-fleet verify --all');
    expect(summary).toMatch(/\| acme \| http:\/\/acme\.localhost:\d+ \| ✅ \| — \|/);
    expect(summary).toContain('### mcp-fleet secrets push --all');
    expect(summary).toMatch(/\| globex \| globex \| ✅ \| [^|]*API_KEY[^|]* \|/);
    expect(summary).toContain('### mcp-fleet secrets rotate acme');
    expect(summary).toMatch(/\| acme \| acme \| API_KEY \| ✅ \| proven \|/);
    // The rotated key itself is a secret the leak watch knows: the summary must not hold it.
    fleet.leaks.record('the day-two step summary', summary);
    for (const value of (await fleet.secrets('acme')).values()) if (value.length > 8) expect(summary).not.toContain(value);
  });
});

describe('--summary', () => {
  it('a command that fails as a whole appends its failure line; an empty file name is refused, naming the flag', async () => {
    const summaryFile = join(fleet.dir, '..', 'failure-summary.md');
    await writeFile(summaryFile, '');
    const unknown = await fleet.cli(['status', 'nosuch', '--summary', summaryFile], { env: ciEnv(summaryFile) });
    expect(unknown.exitCode).toBe(2);
    const text = await readFile(summaryFile, 'utf8');
    expect(text).toContain('### mcp-fleet status nosuch');
    expect(text).toContain('❌ exit 2');
    expect(text).toContain('nosuch');

    const empty = await fleet.cli(['deploy', '--all', '--plan', '--summary', ''], { env: ciEnv(summaryFile) });
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr).toContain('--summary needs a file');
  });
});
