// Shared by the emulator's integration tests: the embedded-default seed, its credentials, a
// controllable clock and subprocess environments for independent clients.
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
