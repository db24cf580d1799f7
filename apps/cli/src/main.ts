#!/usr/bin/env node
import { EXIT_NO_CREDENTIALS, execCommand } from './exec/exec.command';
import { EXEC_USAGE, parseExecOptions, UsageError } from './exec/exec-options';
import { CredentialsNotReceived } from './exec/delivery-inbox';

const USAGE = `runtrail <command>

commands:
  exec    run a command with a run's short-lived AWS credentials

${EXEC_USAGE}`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'exec') {
    console.error(`runtrail: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await execCommand(parseExecOptions(rest, process.env));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`runtrail exec: ${error.message}\n\n${EXEC_USAGE}`);
      return 2;
    }
    if (error instanceof CredentialsNotReceived) {
      console.error(`runtrail exec: ${error.message}`);
      return EXIT_NO_CREDENTIALS;
    }
    console.error(`runtrail exec: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
// Exit only once stdout and stderr are flushed: piped output would otherwise be cut short.
void main(process.argv.slice(2)).then((code) => {
  let open = 2;
  const done = () => --open === 0 && process.exit(code);
  process.stdout.write('', done);
  process.stderr.write('', done);
});
