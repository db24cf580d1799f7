#!/usr/bin/env node
import { SpanKind, trace } from '@opentelemetry/api';
import { startTelemetry } from '@runtrail/telemetry';
import { EXIT_NO_CREDENTIALS, execCommand } from './exec/exec.command';
import { EXEC_USAGE, parseExecOptions, UsageError } from './exec/exec-options';
import { CredentialsNotReceived } from './exec/delivery-inbox';
import {
  NATS_SETUP_USAGE,
  natsSetupCommand,
  NatsSetupUsageError,
  parseNatsSetupOptions,
} from './nats/nats-setup.command';
import { AUDIT_USAGE, auditCommand } from './audit/audit.command';
import { CommandUsageError, processIo, type CliIo } from './output/cli-io';
import { TRAIL_SOURCES_USAGE, trailSourcesCommand } from './trail-sources/trail-sources.command';

const USAGE = `runtrail <command>

commands:
  exec          run a command with a run's short-lived AWS credentials
  nats setup    create runtrail's streams and consumers (the operator's step)
  audit         a run's timeline, who changed a resource, findings (audit's query API)
  trail-sources the AWS accounts whose CloudTrail audit reads (add, list, rm)

${EXEC_USAGE}

${NATS_SETUP_USAGE}

${AUDIT_USAGE}

${TRAIL_SOURCES_USAGE}`;

async function exec(rest: string[]): Promise<number> {
  // Traced when OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is set: the run's REST calls
  // carry the trace to the runs API, so a run exec drives is one trace from here on.
  const telemetry = startTelemetry({ serviceName: 'runtrail-exec', light: true });
  try {
    return await trace
      .getTracer('runtrail-cli')
      .startActiveSpan('runtrail exec', { kind: SpanKind.CLIENT }, async (span) => {
        try {
          return await execCommand(parseExecOptions(rest, process.env));
        } finally {
          span.end();
        }
      });
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
  } finally {
    await telemetry.shutdown().catch(() => undefined);
  }
}

async function natsSetup(rest: string[]): Promise<number> {
  try {
    return await natsSetupCommand(parseNatsSetupOptions(rest, process.env), (line) =>
      console.log(`runtrail nats setup: ${line}`),
    );
  } catch (error) {
    if (error instanceof NatsSetupUsageError) {
      console.error(`runtrail nats setup: ${error.message}\n\n${NATS_SETUP_USAGE}`);
      return 2;
    }
    console.error(`runtrail nats setup: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

const isHelp = (arg: string | undefined) => arg === '--help' || arg === '-h';

/** The REST commands: usage mistakes exit 2 with the usage, the API's refusals 1 with its detail. */
async function apiCommand(
  name: string,
  usageText: string,
  command: (args: string[], env: NodeJS.ProcessEnv, io: CliIo) => Promise<number>,
  rest: string[],
): Promise<number> {
  if (isHelp(rest[0])) return usage(usageText);
  try {
    return await command(rest, process.env, processIo());
  } catch (error) {
    if (error instanceof CommandUsageError) {
      console.error(`runtrail ${name}: ${error.message}\n\n${usageText}`);
      return 2;
    }
    console.error(`runtrail ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

/** `--help`: the command's usage on stdout, exit 0. */
function usage(text: string): number {
  console.log(text);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || isHelp(command) || command === 'help') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === 'exec' && isHelp(rest[0])) return usage(EXEC_USAGE);
  if (command === 'exec') return exec(rest);
  if (command === 'nats' && rest[0] === 'setup' && isHelp(rest[1])) return usage(NATS_SETUP_USAGE);
  if (command === 'nats' && rest[0] === 'setup') return natsSetup(rest.slice(1));
  if (command === 'audit') return apiCommand('audit', AUDIT_USAGE, auditCommand, rest);
  if (command === 'trail-sources')
    return apiCommand('trail-sources', TRAIL_SOURCES_USAGE, trailSourcesCommand, rest);
  console.error(`runtrail: unknown command "${[command, ...rest.slice(0, 1)].join(' ')}"\n\n${USAGE}`);
  return 2;
}

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
// Exit only once stdout and stderr are flushed: piped output would otherwise be cut short.
void main(process.argv.slice(2)).then((code) => {
  let open = 2;
  const done = () => --open === 0 && process.exit(code);
  process.stdout.write('', done);
  process.stderr.write('', done);
});
