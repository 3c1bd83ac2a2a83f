/**
 * Process signal handling, installed only by the daemon's main (never on import). The first SIGTERM
 * or SIGINT starts an orderly shutdown; a second one, or the shutdown deadline, forces the exit.
 */
export type SignalOptions = {
  readonly onShutdown: (signal: NodeJS.Signals) => Promise<void>;
  readonly deadlineMs: number;
  readonly onForce: (why: string) => void;
};

export function installSignalHandlers(opts: SignalOptions): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      opts.onForce(`second ${signal} during shutdown`);
      return;
    }
    stopping = true;
    const deadline = setTimeout(
      () => opts.onForce(`shutdown took longer than ${opts.deadlineMs} ms`),
      opts.deadlineMs,
    );
    deadline.unref();
    void opts.onShutdown(signal).finally(() => clearTimeout(deadline));
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}
