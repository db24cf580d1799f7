// The aws-emulator's start command: a local STS + IAM + CloudTrail for development, demos and tests.
import { ConfigError } from '@runtrail/config';
import { RuntrailError } from '@runtrail/contracts';
import { startAwsEmulator, type FaultRule } from '@runtrail/aws-emulator';
import { readEmulatorConfig, USAGE, UsageError } from './emulator.config';

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  const started = performance.now();
  let config;
  try {
    config = readEmulatorConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      console.error(`aws-emulator: ${error.message}\n${USAGE}`);
      process.exit(2);
    }
    throw error;
  }
  const emulator = await startAwsEmulator({
    port: config.AWS_EMULATOR_PORT,
    host: config.AWS_EMULATOR_HOST,
    seed: config.AWS_EMULATOR_SEED,
    trailDir: config.AWS_EMULATOR_TRAIL_DIR,
    flushIntervalMs: config.AWS_EMULATOR_FLUSH_INTERVAL_MS,
    snapshotFile: config.AWS_EMULATOR_SNAPSHOT,
    lookupThrottle: config.AWS_EMULATOR_LOOKUP_THROTTLE,
    deliveryDelayMs: config.AWS_EMULATOR_DELIVERY_DELAY_MS,
    faults: (config.AWS_EMULATOR_FAULTS ?? []) as FaultRule[],
    log: (line) => console.error(line),
  });
  printBanner(
    emulator.endpoint,
    config.AWS_EMULATOR_SEED,
    emulator.seededCredentials(),
    performance.now() - started,
  );

  const stop = (signal: string) => {
    console.log(`aws-emulator: ${signal}, stopping`);
    emulator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

// The seeded keys are fake local credentials: printing them is what makes the emulator usable.
function printBanner(
  endpoint: string,
  seed: string,
  credentials: ReturnType<Awaited<ReturnType<typeof startAwsEmulator>>['seededCredentials']>,
  ms: number,
): void {
  const lines = [
    `aws-emulator listening on ${endpoint} (seed ${seed}, ready in ${Math.round(ms)} ms)`,
    'seeded access keys (fake, local only):',
  ];
  for (const c of credentials) {
    const account = c.accountAlias ? `${c.accountId} (${c.accountAlias})` : c.accountId;
    lines.push(
      `  ${account} ${c.userName}: AWS_ACCESS_KEY_ID=${c.accessKeyId} AWS_SECRET_ACCESS_KEY=${c.secretAccessKey}`,
    );
  }
  const first = credentials[0];
  if (first) {
    lines.push(
      'try:',
      `  AWS_ACCESS_KEY_ID=${first.accessKeyId} AWS_SECRET_ACCESS_KEY=${first.secretAccessKey} AWS_DEFAULT_REGION=us-east-1 \\`,
      `    aws --endpoint-url ${endpoint} sts get-caller-identity`,
    );
  }
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  if (error instanceof RuntrailError) console.error(`aws-emulator: ${error.message}`);
  else console.error(error);
  process.exit(1);
});
