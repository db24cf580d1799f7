/** Where a command writes: stdout for results (a table or `--json`), stderr for progress and complaints. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Progress lines go to stderr only when it is a terminal, never into piped output. */
  progress: boolean;
}

/** The process's own streams. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    progress: process.stderr.isTTY === true,
  };
}

/** A usage mistake of the API commands: printed with the command's usage, exit code 2. */
export class CommandUsageError extends Error {}
