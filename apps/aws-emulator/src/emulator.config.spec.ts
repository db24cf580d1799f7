import { ConfigError } from '@runtrail/config';
import { readEmulatorConfig, UsageError } from './emulator.config';

describe('aws-emulator start command options', () => {
  it('has defaults for the embedded start', () => {
    expect(readEmulatorConfig([], {})).toEqual({
      AWS_EMULATOR_PORT: 4566,
      AWS_EMULATOR_HOST: '127.0.0.1',
      AWS_EMULATOR_SEED: 'deploy/emulator/seed.json',
      AWS_EMULATOR_FLUSH_INTERVAL_MS: 5000,
      AWS_EMULATOR_LOOKUP_THROTTLE: false,
      AWS_EMULATOR_DELIVERY_DELAY_MS: 0,
    });
  });

  it('reads flags (both --flag value and --flag=value) over environment variables', () => {
    const config = readEmulatorConfig(
      [
        '--port',
        '0',
        '--seed=/tmp/seed.json',
        '--lookup-throttle',
        '--trail-dir',
        '/tmp/trail',
        '--faults',
        '[{"action":"AssumeRole","rate":0.5,"kind":"throttle"}]',
      ],
      { AWS_EMULATOR_PORT: '4000', AWS_EMULATOR_HOST: '0.0.0.0', AWS_EMULATOR_DELIVERY_DELAY_MS: '250' },
    );
    expect(config).toMatchObject({
      AWS_EMULATOR_PORT: 0,
      AWS_EMULATOR_HOST: '0.0.0.0',
      AWS_EMULATOR_SEED: '/tmp/seed.json',
      AWS_EMULATOR_LOOKUP_THROTTLE: true,
      AWS_EMULATOR_TRAIL_DIR: '/tmp/trail',
      AWS_EMULATOR_DELIVERY_DELAY_MS: 250,
      AWS_EMULATOR_FAULTS: [{ action: 'AssumeRole', rate: 0.5, kind: 'throttle' }],
    });
    expect(readEmulatorConfig(['--lookup-throttle', 'false'], {}).AWS_EMULATOR_LOOKUP_THROTTLE).toBe(false);
  });

  it('refuses unknown flags, missing values and bad variables, naming them', () => {
    expect(() => readEmulatorConfig(['--prot', '1'], {})).toThrow(UsageError);
    expect(() => readEmulatorConfig(['--port'], {})).toThrow('--port needs a value');
    expect(() => readEmulatorConfig([], { AWS_EMULATOR_PORT: '70000', AWS_EMULATOR_FAULTS: '{' })).toThrow(
      ConfigError,
    );
    try {
      readEmulatorConfig([], { AWS_EMULATOR_PORT: '70000', AWS_EMULATOR_FAULTS: '{' });
    } catch (error) {
      expect((error as Error).message).toContain('AWS_EMULATOR_PORT');
      expect((error as Error).message).toContain('AWS_EMULATOR_FAULTS');
    }
  });
});
