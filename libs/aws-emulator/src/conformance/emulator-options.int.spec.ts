// Options that change behaviour over time or across restarts: LookupEvents throttling, delivery
// delay, snapshots, and refusal of bad options and seeds.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { CreateRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { RuntrailError } from '@runtrail/contracts';
import { startAwsEmulator, type AwsEmulator } from '../start-aws-emulator';
import {
  CUSTOMER,
  CUSTOMER_ADMIN,
  DEMO_ROLE_ARN,
  RUNTRAIL,
  SEED_FILE,
  trustPolicy,
  type StaticCredentials,
} from './emulator.fixture';

const lookup = (emulator: AwsEmulator, input: ConstructorParameters<typeof LookupEventsCommand>[0] = {}) =>
  new CloudTrailClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: CUSTOMER_ADMIN,
    maxAttempts: 1,
  }).send(new LookupEventsCommand(input));
const sts = (emulator: AwsEmulator, credentials: StaticCredentials) =>
  new STSClient({ endpoint: emulator.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });

describe('LookupEvents throttle and delivery delay', () => {
  let emulator: AwsEmulator;
  beforeAll(async () => {
    emulator = await startAwsEmulator({ seed: SEED_FILE, lookupThrottle: true, deliveryDelayMs: 400 });
  });
  afterAll(() => emulator.stop());

  it('allows 2 LookupEvents per second per account and region, then ThrottlingException', async () => {
    const results = await Promise.allSettled([lookup(emulator), lookup(emulator), lookup(emulator)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect((rejected?.reason as Error).name).toBe('ThrottlingException');
    expect(
      emulator.requestCounts({ action: 'LookupEvents', accountId: CUSTOMER, region: 'us-east-1' }),
    ).toEqual([{ action: 'LookupEvents', accountId: CUSTOMER, region: 'us-east-1', count: 3 }]);
    await sleep(1050);
    await lookup(emulator);
  });

  it('shows events only after the delivery delay', async () => {
    await sleep(1050);
    const out = await sts(emulator, RUNTRAIL).send(
      new AssumeRoleCommand({ RoleArn: DEMO_ROLE_ARN, RoleSessionName: 'late', ExternalId: 'acme@late' }),
    );
    const key = out.Credentials?.AccessKeyId ?? '';
    const byName = {
      LookupAttributes: [{ AttributeKey: 'EventName' as const, AttributeValue: 'AssumeRole' }],
    };
    expect((await lookup(emulator, byName)).Events).toEqual([]);
    expect(emulator.events(CUSTOMER).some((r) => JSON.stringify(r).includes(key))).toBe(true);
    await sleep(1050);
    expect((await lookup(emulator, byName)).Events).toHaveLength(1);
  });
});

describe('snapshots', () => {
  it('keeps roles, live sessions and events across a restart', async () => {
    const snapshotFile = join(mkdtempSync(join(tmpdir(), 'emulator-snap-')), 'state.json');
    const first = await startAwsEmulator({ seed: SEED_FILE, snapshotFile });
    const iam = (e: AwsEmulator) =>
      new IAMClient({
        endpoint: e.endpoint,
        region: 'us-east-1',
        credentials: CUSTOMER_ADMIN,
        maxAttempts: 1,
      });
    await iam(first).send(
      new CreateRoleCommand({
        RoleName: 'survivor',
        AssumeRolePolicyDocument: trustPolicy({ AWS: CUSTOMER }, ['sts:AssumeRole']),
      }),
    );
    const out = await sts(first, RUNTRAIL).send(
      new AssumeRoleCommand({ RoleArn: DEMO_ROLE_ARN, RoleSessionName: 'snap', ExternalId: 'acme@snap' }),
    );
    const eventCount = first.events(CUSTOMER).length;
    await first.stop();

    const second = await startAwsEmulator({ seed: { accounts: [{ id: '999999999999' }] }, snapshotFile });
    try {
      expect((await iam(second).send(new GetRoleCommand({ RoleName: 'survivor' }))).Role?.RoleName).toBe(
        'survivor',
      );
      const session = {
        accessKeyId: out.Credentials!.AccessKeyId!,
        secretAccessKey: out.Credentials!.SecretAccessKey!,
        sessionToken: out.Credentials!.SessionToken!,
      };
      expect((await sts(second, session).send(new GetCallerIdentityCommand({}))).Arn).toBe(
        out.AssumedRoleUser?.Arn,
      );
      expect(second.events(CUSTOMER).length).toBe(eventCount + 2);
      expect(second.state.accountIds()).not.toContain('999999999999');
    } finally {
      await second.stop();
    }
  });
});

describe('refusing bad configuration', () => {
  it('names every bad option', async () => {
    const error = await startAwsEmulator({
      seed: SEED_FILE,
      port: -1,
      deliveryDelayMs: 1.5,
      faults: [{ rate: 3, kind: 'throttle' }],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntrailError);
    expect((error as RuntrailError).issues?.map((i) => i.path)).toEqual(
      expect.arrayContaining(['port', 'deliveryDelayMs', 'faults.0.rate']),
    );
  });

  it('refuses a seed whose policy IAM would refuse, naming the role', async () => {
    const seed = {
      accounts: [
        {
          id: '123456789012',
          roles: [
            {
              name: 'broken',
              assumeRolePolicy: { Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }] },
            },
          ],
        },
      ],
    };
    await expect(startAwsEmulator({ seed })).rejects.toThrow(
      /role arn:aws:iam::123456789012:role\/broken assumeRolePolicy: Missing required field Principal/,
    );
  });
});
