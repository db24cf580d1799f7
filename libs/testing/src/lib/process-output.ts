/** What this process writes to stdout and stderr while captured (still passed through). */
export interface CapturedOutput {
  /** Everything written since the capture began, joined. */
  text(): string;
  /** Puts the original writers back. */
  restore(): void;
}

/**
 * Records every chunk the process writes (in-process services log there), for specs that prove a
 * secret never reaches a log line. The output still reaches the terminal.
 */
export function captureProcessOutput(): CapturedOutput {
  const chunks: string[] = [];
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const tee = (write: typeof out) =>
    ((chunk: unknown, ...rest: unknown[]) => {
      chunks.push(String(chunk));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof out;
  process.stdout.write = tee(out);
  process.stderr.write = tee(err);
  return {
    text: () => chunks.join(''),
    restore: () => {
      process.stdout.write = out;
      process.stderr.write = err;
    },
  };
}
