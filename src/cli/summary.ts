import { appendFile } from 'node:fs/promises';
import type { Output } from '../ui/output.js';
import { describeError, type ExitCode, isFleetError } from '../util/errors.js';

/**
 * `--summary <file>` for every fleet command, in one place: the command runs with an Output that
 * keeps the --json document it hands over, and afterwards the Markdown summary made from it is
 * appended to the file (never truncated: GitHub Actions gives every step one GITHUB_STEP_SUMMARY
 * file, and several commands of a step each add their table). A command that throws adds its
 * failure line, then the error goes on to the top as before.
 */

export interface SummaryRequest {
  file: string;
  command: string;
  title: string;
}

export async function withSummary(
  request: SummaryRequest,
  output: Output,
  run: (output: Output) => Promise<ExitCode | undefined>,
): Promise<ExitCode | undefined> {
  let document: unknown;
  const capturing: Output = {
    ...output,
    result: (value) => {
      document = value;
      output.result(value);
    },
  };
  const append = async (exitCode: number, failure?: { message: string; hint: string | undefined }) => {
    const { renderSummary } = await import('../ui/summary.js');
    const text = renderSummary({ title: request.title, command: request.command, document, exitCode, failure });
    // The run's outcome stands even when its summary cannot be written: say so, do not change the exit code.
    await appendFile(request.file, text).catch((error: unknown) =>
      output.warn(`--summary ${request.file}: could not append the summary (${describeError(error)})`),
    );
  };
  try {
    const code = await run(capturing);
    await append(code ?? 0);
    return code;
  } catch (error) {
    const exitCode = isFleetError(error) ? error.exitCode : 1;
    await append(exitCode, { message: describeError(error), hint: isFleetError(error) ? error.hint : undefined });
    throw error;
  }
}

/** The command as the heading shows it: its name, the clients or --all, and --plan; no other flag's value. */
export function summaryTitle(command: string, args: Record<string, unknown>, flags: Record<string, unknown>): string {
  const clients = Array.isArray(args.clients) ? args.clients.map(String) : [];
  const words = [command, ...(flags.all === true ? ['--all'] : clients)];
  if (flags.plan === true) words.push('--plan');
  if (typeof flags.percent === 'string') words.push('--percent', flags.percent);
  if (flags.promote === true) words.push('--promote');
  return words.join(' ');
}
