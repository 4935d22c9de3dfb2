import pc from 'picocolors';
import type { ClientPhase, ProgressListener } from '../ops/fleet/progress.js';
import { setWarningSink, type WarningSink } from '../util/warnings.js';
import type { Output } from './output.js';

/**
 * One line per client while a fleet operation runs. On a terminal the lines are redrawn in place;
 * otherwise (CI, pipes, --json whose human text goes to stderr) each client's change of phase or
 * status is printed once as a plain line, so logs stay readable.
 */
export interface FleetProgress {
  update: ProgressListener;
  /** Draws the final state and stops redrawing. */
  stop(): void;
}

const MARKS: Record<ClientPhase, (text: string) => string> = {
  queued: (text) => pc.dim(text),
  working: (text) => pc.cyan(text),
  done: (text) => pc.green(text),
  failed: (text) => pc.red(text),
  skipped: (text) => pc.yellow(text),
};
const SYMBOL: Record<ClientPhase, string> = { queued: '·', working: '…', done: '✔', failed: '✖', skipped: '–' };
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function createFleetProgress(output: Output, clients: readonly string[], options: { live?: boolean } = {}): FleetProgress {
  const width = Math.max(0, ...clients.map((name) => name.length));
  const state = new Map<string, { phase: ClientPhase; detail: string }>();
  const live = options.live ?? output.isTTY;
  let drawn = 0;
  let frame = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const line = (client: string): string => {
    const entry = state.get(client) ?? { phase: 'queued' as const, detail: '' };
    const symbol = entry.phase === 'working' && live ? (SPINNER[frame % SPINNER.length] as string) : SYMBOL[entry.phase];
    const columns = process.stderr.columns && process.stdout.columns ? Math.min(process.stderr.columns, process.stdout.columns) : 120;
    const text = `${MARKS[entry.phase](symbol)} ${client.padEnd(width)}  ${entry.detail}`;
    return live && text.length > columns - 1 ? `${text.slice(0, columns - 2)}…` : text;
  };

  const redraw = (): void => {
    let text = drawn > 0 ? `\u001b[${drawn}A` : '';
    for (const client of clients) text += `\u001b[2K${line(client)}\n`;
    output.write(text);
    drawn = clients.length;
  };

  // A warning said while the lines are live goes above them: the lines are wiped, the warning said, the lines drawn again.
  let restoreWarnings: WarningSink | undefined;
  if (live && clients.length > 0) {
    for (const client of clients) state.set(client, { phase: 'queued', detail: '' });
    redraw();
    const said: WarningSink = setWarningSink((text) => {
      if (drawn > 0) output.write(`\u001b[${drawn}A\u001b[0J`);
      drawn = 0;
      said(text);
      redraw();
    });
    restoreWarnings = said;
    timer = setInterval(() => {
      frame++;
      if ([...state.values()].some((entry) => entry.phase === 'working')) redraw();
    }, 100);
    timer.unref();
  }

  return {
    update(client, phase, detail) {
      if (stopped) return;
      const before = state.get(client);
      if (before && before.phase === phase && before.detail === detail) return;
      state.set(client, { phase, detail });
      if (live) redraw();
      else if (phase !== 'queued') output.write(`${line(client)}\n`);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      if (restoreWarnings) setWarningSink(restoreWarnings);
      if (live && clients.length > 0) redraw();
    },
  };
}
