import { afterEach, describe, expect, it } from 'vitest';
import { createFleetProgress } from '../../src/ui/fleet-progress.js';
import type { Output } from '../../src/ui/output.js';
import { setWarningSink, warnOnce } from '../../src/util/warnings.js';

/** Warnings raised below the CLI (a secrets file made private): once per subject, and never inside the live progress lines. */

const restore = setWarningSink(undefined);
afterEach(() => {
  setWarningSink(restore);
});

function recordingOutput(isTTY: boolean): Output & { written: string[] } {
  const written: string[] = [];
  return {
    json: false,
    interactive: false,
    isTTY,
    written,
    info: (line) => written.push(`${line}\n`),
    success: (line) => written.push(`${line}\n`),
    warn: (line) => written.push(`! ${line}\n`),
    problem: (text) => written.push(`${text}\n`),
    result: () => undefined,
    write: (text) => written.push(text),
  };
}

describe('warnings from below the CLI', () => {
  it('are said once per subject', () => {
    const said: string[] = [];
    setWarningSink((line) => said.push(line));
    warnOnce('/p/.secrets.once-a', 'a was readable');
    warnOnce('/p/.secrets.once-a', 'a was readable');
    warnOnce('/p/.secrets.once-b', 'b was readable');
    expect(said).toEqual(['a was readable', 'b was readable']);
  });

  it('said while progress lines are live, go above them: the lines are wiped, the warning said, the lines drawn again', () => {
    const output = recordingOutput(true);
    setWarningSink((line) => output.warn(line));
    const progress = createFleetProgress(output, ['acme', 'beta'], { live: true });
    progress.update('acme', 'working', 'pushing 2 secrets');
    output.written.length = 0;
    warnOnce('/p/.secrets.live-acme', '.secrets.acme was readable by other users');
    const [wipe, warning, redraw] = output.written;
    // Up the two drawn lines, then clear to the end of the screen.
    expect(wipe).toBe('\u001b[2A\u001b[0J');
    expect(warning).toBe('! .secrets.acme was readable by other users\n');
    expect(redraw).toContain('acme');
    expect(redraw).toContain('pushing 2 secrets');
    expect(redraw?.startsWith('\u001b[2K')).toBe(true);
    progress.stop();
    // Once stopped, warnings go where they went before.
    output.written.length = 0;
    warnOnce('/p/.secrets.after', 'after');
    expect(output.written).toEqual(['! after\n']);
  });
});
