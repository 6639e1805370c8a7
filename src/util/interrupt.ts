/**
 * Ctrl-C for long jobs that can stop cleanly: the first SIGINT or SIGTERM (a terminal's Ctrl-C,
 * the ablation runner passing one on, SLURM's scancel or time limit) aborts the returned signal,
 * so the job finishes its step and saves; a second exits with status 130 at once.
 */
export interface Interrupt {
  readonly signal: AbortSignal;
  /** Removes the handlers (the process's default Ctrl-C comes back). */
  dispose(): void;
}

export function abortOnInterrupt(messages: { readonly first: string; readonly second: string }): Interrupt {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) {
      process.stderr.write(`\n${messages.second}\n`);
      process.exit(130);
    }
    process.stderr.write(`\n${messages.first}\n`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
