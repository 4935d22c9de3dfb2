/**
 * Warnings raised below the CLI that the user must see whichever command is running — a secrets
 * file other users could read, made private on the way — said once per subject per process, on
 * stderr (so stdout keeps carrying only reports and --json documents). The CLI points the sink at
 * its output; a live progress display takes it over while it redraws. Nothing here may be handed
 * a secret value.
 */
export type WarningSink = (line: string) => void;

const stderrSink: WarningSink = (line) => {
  process.stderr.write(`! ${line}\n`);
};

let sink: WarningSink = stderrSink;
const said = new Set<string>();

/** Says `line` unless a warning about `subject` (say, a file's path) was said already in this process. */
export function warnOnce(subject: string, line: string): void {
  if (said.has(subject)) return;
  said.add(subject);
  sink(line);
}

/** Sends warnings to `next` (undefined: plain stderr); returns the sink it replaces, to restore it. */
export function setWarningSink(next: WarningSink | undefined): WarningSink {
  const previous = sink;
  sink = next ?? stderrSink;
  return previous;
}
