import { startAwsEmulator, type AwsEmulator } from '@runtrail/aws-emulator';
import { join } from 'node:path';

export { startAwsEmulator, type AwsEmulator, type AwsEmulatorOptions, type Seed } from '@runtrail/aws-emulator';

/** The seed `npm start` uses: a "platform" account (runtrail's identity) and a "customer" account. */
export const DEFAULT_EMULATOR_SEED = join(__dirname, '../../../../deploy/emulator/seed.json');

/** An in-process aws-emulator on a random loopback port, seeded like the embedded default unless told otherwise. */
export function startTestEmulator(options: Partial<Parameters<typeof startAwsEmulator>[0]> = {}): Promise<AwsEmulator> {
  return startAwsEmulator({ port: 0, seed: DEFAULT_EMULATOR_SEED, ...options });
}
