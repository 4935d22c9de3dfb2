import type { WorkflowWrite } from '../../ops/project/ci-github.js';
import type { Output } from '../../ui/output.js';
import type { CommandContext } from '../define.js';

/** `init --ci github`: the workflow, into a new project (after the scaffold) or an existing one (alone). */

export async function writeWorkflow(dir: string, force: boolean): Promise<{ write: WorkflowWrite; render: (output: Output) => void }> {
  const [{ workflowNotes, writeGithubWorkflow }, { renderWorkflow }] = await Promise.all([
    import('../../ops/project/ci-github.js'),
    import('../../ui/project-report.js'),
  ]);
  const write = await writeGithubWorkflow(dir, { force });
  const notes = await workflowNotes(dir);
  return { write, render: (output) => renderWorkflow(output, write, notes) };
}

export async function runCiWorkflow(ctx: CommandContext, dir: string, force: boolean): Promise<undefined> {
  const [{ workflowNotes, writeGithubWorkflow }, { renderWorkflow }, { ciWorkflowJson }] = await Promise.all([
    import('../../ops/project/ci-github.js'),
    import('../../ui/project-report.js'),
    import('../../ui/json/project.js'),
  ]);
  const write = await writeGithubWorkflow(dir, { force });
  const notes = await workflowNotes(dir);
  ctx.output.result(ciWorkflowJson(dir, write, notes));
  renderWorkflow(ctx.output, write, notes);
  return undefined;
}
