import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { SecretMasker } from './secret-masker';

/**
 * Runs the command with its output passed through {@link SecretMasker}s, forwarding SIGINT/SIGTERM.
 * Resolves with the exit code to use: the command's, or 128 + signal number when it was killed.
 */
export function runChild(
  command: string[],
  env: NodeJS.ProcessEnv,
  secrets: ReadonlySet<string>,
): Promise<number> {
  return new Promise((resolve) => {
    const [file = '', ...args] = command;
    const child = spawn(file, args, { env, stdio: ['inherit', 'pipe', 'pipe'] });
    const pipes = [
      { from: child.stdout, to: process.stdout, masker: new SecretMasker(secrets) },
      { from: child.stderr, to: process.stderr, masker: new SecretMasker(secrets) },
    ];
    for (const { from, to, masker } of pipes) {
      from.on('data', (chunk: Buffer) => to.write(masker.push(chunk)));
      from.on('end', () => to.write(masker.flush()));
    }
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', (error) => {
      process.stderr.write(`runtrail exec: cannot run ${file}: ${error.message}\n`);
      resolve(127);
    });
    child.on('close', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}
