/**
 * A foreground process that runs until a signal: `local start` without --detach. Miniflare installs
 * SIGINT/SIGTERM/SIGHUP handlers that kill workerd and exit at once; the foreground edge takes those
 * signals over so that it stops cleanly (edge.json removed, exit 0).
 */

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Remembers the signal listeners present now, so that those added later (by miniflare) can be taken off. */
export function snapshotSignalListeners(): { removeAddedSince: () => void } {
  const inherited = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  return {
    removeAddedSince: () => {
      for (const signal of SIGNALS) {
        for (const listener of process.listeners(signal)) if (!inherited.get(signal)?.has(listener)) process.off(signal, listener);
      }
    },
  };
}

export function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      for (const signal of SIGNALS) process.off(signal, done);
      resolve();
    };
    for (const signal of SIGNALS) process.once(signal, done);
  });
}

/** Runs `stop`; a second signal meanwhile ends the process at once (exit 130), as a shell user expects. */
export async function stopOrHurry(stop: () => Promise<void>): Promise<void> {
  const hurry = () => process.exit(130);
  for (const signal of SIGNALS) process.once(signal, hurry);
  try {
    await stop();
  } finally {
    for (const signal of SIGNALS) process.off(signal, hurry);
  }
}
