const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type DeferredSignal = (typeof SIGNALS)[number];

/**
 * Runs a few milliseconds of writes that belong together (a client's secrets file and its config
 * section) so that Ctrl-C (or SIGTERM, SIGHUP) cannot stop them halfway: a signal that arrives
 * meanwhile is held, and raised again once `work` is over, so the process still ends as the person
 * asked — after the files agree. SIGKILL cannot be held; add-journal.ts covers that.
 */
export async function withSignalsDeferred<T>(work: () => Promise<T>): Promise<T> {
  let caught: DeferredSignal | undefined;
  const hold = (signal: DeferredSignal) => {
    caught ??= signal;
  };
  for (const signal of SIGNALS) process.on(signal, hold);
  try {
    return await work();
  } finally {
    for (const signal of SIGNALS) process.off(signal, hold);
    if (caught !== undefined) process.kill(process.pid, caught);
  }
}
