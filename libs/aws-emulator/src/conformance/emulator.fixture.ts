// Shared by the emulator's integration tests: the embedded-default seed, its credentials, a
// controllable clock and subprocess environments for independent clients.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Seed } from '../lib/seed/seed.schema';

export const REPO_ROOT = resolve(__dirname, '../../../..');
export const SEED_FILE = resolve(REPO_ROOT, 'deploy/emulator/seed.json');

export const PLATFORM = '111111111111';
export const CUSTOMER = '222222222222';
export const DEMO_ROLE_ARN = `arn:aws:iam::${CUSTOMER}:role/runtrail-demo`;

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export const RUNTRAIL: StaticCredentials = {
  accessKeyId: 'AKIA1111RUNTRAIL0001',
  secretAccessKey: 'runtrail-platform-local-secret-not-a-real-key',
};
export const CUSTOMER_ADMIN: StaticCredentials = {
  accessKeyId: 'AKIA2222CUSTOMERADM1',
  secretAccessKey: 'customer-admin-local-secret-not-a-real-key',
};
/** A platform user without any policy (added by `testSeed`). */
export const NO_POLICY_USER: StaticCredentials = {
  accessKeyId: 'AKIA1111NOPOLICY0001',
  secretAccessKey: 'platform-user-without-policies-secret',
};

/** The deploy seed plus a platform user without policies. */
export function testSeed(): Seed {
  const seed = JSON.parse(readFileSync(SEED_FILE, 'utf8')) as {
    accounts: { id: string; users?: unknown[] }[];
  };
  const platform = seed.accounts.find((a) => a.id === PLATFORM);
  platform?.users?.push({ name: 'no-policy', accessKeys: [{ ...NO_POLICY_USER }] });
  return seed as Seed;
}

/** A clock the test moves forward. */
export function movableClock(): { clock: () => Date; advance(ms: number): void; offsetMs(): number } {
  let offset = 0;
  return {
    clock: () => new Date(Date.now() + offset),
    advance: (ms) => {
      offset += ms;
    },
    offsetMs: () => offset,
  };
}

/** Environment for /usr/bin/aws or boto3: only these credentials, no host config, one attempt. */
export function clientEnv(credentials: StaticCredentials, region = 'us-east-1'): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    HOME: '/nonexistent',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    ...(credentials.sessionToken ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
    AWS_DEFAULT_REGION: region,
    AWS_CONFIG_FILE: '/nonexistent/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_MAX_ATTEMPTS: '1',
    AWS_RETRY_MODE: 'standard',
    AWS_PAGER: '',
  };
}

/** A trust policy document (as JSON text) trusting `principal` for `actions`, with optional conditions. */
export function trustPolicy(principal: object, actions: string[], condition?: object): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: principal,
        Action: actions,
        ...(condition ? { Condition: condition } : {}),
      },
    ],
  });
}

/** The AWS CLI v2 this machine has (Debian's), as users run it. */
export const AWS_CLI = '/usr/bin/aws';

/** One finished AWS CLI run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `/usr/bin/aws --endpoint-url <endpoint> --output json ...args` with only these credentials. */
export function awsCli(endpoint: string, credentials: StaticCredentials, ...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      AWS_CLI,
      ['--endpoint-url', endpoint, '--output', 'json', ...args],
      { env: clientEnv(credentials) },
      (error, stdout, stderr) => {
        resolve({
          code: error ? Number((error as NodeJS.ErrnoException & { code?: unknown }).code ?? 1) : 0,
          stdout,
          stderr,
        });
      },
    );
  });
}

/** The JSON a successful CLI run printed; throws with its stderr otherwise. */
export function cliJson<T>(run: CliRun): T {
  if (run.code !== 0) throw new Error(`aws exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/** Runs a Python script (Debian's python3 with boto3) that reads `SCENARIO` (JSON) and prints JSON. */
export function runPythonScenario<T>(script: string, scenario: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const env = {
      PATH: process.env['PATH'],
      HOME: '/nonexistent',
      AWS_CONFIG_FILE: '/nonexistent/c',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/s',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_MAX_ATTEMPTS: '1',
      SCENARIO: JSON.stringify(scenario),
    };
    execFile('/usr/bin/python3', ['-c', script], { env }, (error, stdout, stderr) => {
      if (error) reject(new Error(`python failed: ${stderr}`));
      else resolve(JSON.parse(stdout) as T);
    });
  });
}
