import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RuntrailError } from '@runtrail/contracts';
import { loadSeed } from './load-seed';

const DEPLOY_SEED = resolve(__dirname, '../../../../../deploy/emulator/seed.json');

function problems(seed: unknown): string[] {
  try {
    loadSeed(seed as Parameters<typeof loadSeed>[0]);
  } catch (error) {
    expect(error).toBeInstanceOf(RuntrailError);
    expect((error as RuntrailError).code).toBe('VALIDATION_FAILED');
    return ((error as RuntrailError).issues ?? []).map((i) => `${i.path}: ${i.rule}`);
  }
  throw new Error('the seed was accepted');
}

describe('loadSeed', () => {
  it('accepts the embedded default seed: platform user runtrail, customer role runtrail-demo', () => {
    const seed = loadSeed(DEPLOY_SEED);
    const [platform, customer] = seed.accounts;
    expect(platform.id).toBe('111111111111');
    expect(platform.users[0]).toMatchObject({
      name: 'runtrail',
      path: '/',
      accessKeys: [{ accessKeyId: 'AKIA1111RUNTRAIL0001', status: 'Active' }],
    });
    expect(customer.id).toBe('222222222222');
    expect(customer.roles[0]).toMatchObject({ name: 'runtrail-demo', maxSessionDuration: 3600 });
    expect(customer.roles[1]).toMatchObject({
      name: 'runtrail-trail-reader',
      assumeRolePolicy: {
        Statement: [{ Condition: { StringLike: { 'sts:ExternalId': 'acme@trail-source@*' } } }],
      },
    });
    expect(customer.trail).toEqual({ bucket: 'acme-trail', regions: ['us-east-1', 'eu-west-1'] });
  });

  it('refuses a trail bucket name S3 would refuse, or one already taken by another account', () => {
    const trail = { bucket: 'acme-trail' };
    expect(
      problems({
        accounts: [
          { id: '111111111111', trail },
          { id: '222222222222', trail },
          { id: '333333333333', trail: { bucket: 'Not_A_Bucket', regions: ['moon'] } },
        ],
      }),
    ).toEqual(
      expect.arrayContaining([
        'accounts[1].trail.bucket: duplicates the bucket of accounts[0] (bucket names are global)',
        expect.stringMatching(/^accounts\[2\]\.trail\.bucket: must be an S3 bucket name/),
        'accounts[2].trail.regions[0]: must be a region like us-east-1',
      ]),
    );
  });

  it('names every bad field by its path', () => {
    const found = problems({
      accounts: [
        {
          id: '12345',
          users: [{ name: 'runtrail', accessKeys: [{ accessKeyId: 'ASIA0000', secretAccessKey: 'short' }] }],
          roles: [
            {
              name: 'demo',
              maxSessionDuration: 100,
              assumeRolePolicy: {
                Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { AWS: 1 } }],
              },
            },
          ],
        },
      ],
    });
    expect(found).toEqual(
      expect.arrayContaining([
        'accounts[0].id: must be a 12-digit AWS account id',
        'accounts[0].users[0].accessKeys[0].accessKeyId: must be AKIA followed by 16 uppercase letters or digits',
        'accounts[0].users[0].accessKeys[0].secretAccessKey: must be 16-128 printable characters without spaces',
        expect.stringMatching(/^accounts\[0\]\.roles\[0\]\.maxSessionDuration: /),
        expect.stringMatching(/^accounts\[0\]\.roles\[0\]\.assumeRolePolicy/),
      ]),
    );
  });

  it('refuses duplicate accounts, names and access keys', () => {
    const key = { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'a-long-enough-secret' };
    const account = {
      id: '111111111111',
      users: [
        { name: 'a', accessKeys: [key] },
        { name: 'A', accessKeys: [key] },
      ],
    };
    expect(problems({ accounts: [account, account] })).toEqual(
      expect.arrayContaining([
        'accounts[1].id: duplicates accounts[0]',
        "accounts[0].users[1].name: duplicate user name 'a'",
        'accounts[0].users[1].accessKeys[0].accessKeyId: duplicates the key of accounts[0].users[0]',
      ]),
    );
  });

  it('says which file is unreadable or not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'seed-'));
    writeFileSync(join(dir, 'bad.json'), '{ nope');
    expect(() => loadSeed(join(dir, 'bad.json'))).toThrow(/bad\.json is not JSON/);
    expect(() => loadSeed(join(dir, 'missing.json'))).toThrow(
      /Cannot read the emulator seed file .*missing\.json/,
    );
  });
});
