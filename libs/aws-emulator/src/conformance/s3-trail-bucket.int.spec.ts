// The trail bucket as the AWS CLI v2 (/usr/bin/aws) and Debian's boto3 see it: CloudTrail log
// files of the customer account, listed with ListObjectsV2 and read with GetObject by the seeded
// trail-reader role, assumed by runtrail's platform user with a trail-source external id.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startAwsEmulator, type AwsEmulator } from '../start-aws-emulator';
import type { Seed } from '../lib/seed/seed.schema';
import {
  awsCli,
  cliJson,
  CUSTOMER,
  CUSTOMER_ADMIN,
  RUNTRAIL,
  testSeed,
  trustPolicy,
  PLATFORM,
  runPythonScenario,
  type StaticCredentials,
} from './emulator.fixture';

const BUCKET = 'acme-trail';
const READER_ROLE = `arn:aws:iam::${CUSTOMER}:role/runtrail-trail-reader`;
const EXTERNAL_ID = 'acme@trail-source@01J9ZQ3W4X5Y6Z7A8B9C0D1E2F';
const PREFIX = `AWSLogs/${CUSTOMER}/CloudTrail/us-east-1/`;
const KEY_SHAPE = new RegExp(
  `^AWSLogs/${CUSTOMER}/CloudTrail/us-east-1/\\d{4}/\\d{2}/\\d{2}/${CUSTOMER}_CloudTrail_us-east-1_\\d{8}T\\d{4}Z_[A-Za-z0-9]{16}\\.json\\.gz$`,
);
/** A customer user that may look up events but not read the bucket. */
const NO_S3_USER: StaticCredentials = {
  accessKeyId: 'AKIA2222NOS3READER01',
  secretAccessKey: 'customer-user-without-s3-secret',
};

let emulator: AwsEmulator;
let workDir: string;

function seedWithUserWithoutS3(): Seed {
  const seed = testSeed() as { accounts: { id: string; users?: unknown[] }[] };
  seed.accounts
    .find((a) => a.id === CUSTOMER)
    ?.users?.push({
      name: 'lookup-only',
      accessKeys: [{ ...NO_S3_USER }],
      inlinePolicies: {
        lookup: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'cloudtrail:LookupEvents', Resource: '*' }],
        },
      },
    });
  return seed as Seed;
}

beforeAll(async () => {
  emulator = await startAwsEmulator({ seed: seedWithUserWithoutS3(), flushIntervalMs: 3_600_000 });
  workDir = mkdtempSync(join(tmpdir(), 's3-trail-'));
});
afterAll(async () => {
  await emulator.stop();
  rmSync(workDir, { recursive: true, force: true });
});

const aws = (credentials: StaticCredentials, ...args: string[]) =>
  awsCli(emulator.endpoint, credentials, ...args);

const assumeReaderRun = (externalId: string) =>
  aws(
    RUNTRAIL,
    'sts',
    'assume-role',
    '--role-arn',
    READER_ROLE,
    '--role-session-name',
    'runtrail-audit@acme',
    '--external-id',
    externalId,
  );

async function assumeReader(externalId: string): Promise<StaticCredentials> {
  const out = cliJson<{
    Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string };
  }>(await assumeReaderRun(externalId));
  return {
    accessKeyId: out.Credentials.AccessKeyId,
    secretAccessKey: out.Credentials.SecretAccessKey,
    sessionToken: out.Credentials.SessionToken,
  };
}

interface Listing {
  Contents?: { Key: string; Size: number; ETag: string; LastModified: string }[];
  KeyCount: number;
  IsTruncated: boolean;
}

interface LogRecord {
  eventName: string;
  eventSource: string;
  recipientAccountId: string;
  requestParameters: { roleName?: string } | null;
}

function records(gzipped: Buffer): LogRecord[] {
  return (JSON.parse(gunzipSync(gzipped).toString('utf8')) as { Records: LogRecord[] }).Records;
}

/** Deliveries: each flush after a call makes one more log file in us-east-1. */
async function recordAndDeliver(names: string[]): Promise<void> {
  for (const name of names) {
    cliJson(
      await aws(
        CUSTOMER_ADMIN,
        'iam',
        'create-role',
        '--role-name',
        name,
        '--assume-role-policy-document',
        trustPolicy({ AWS: `arn:aws:iam::${PLATFORM}:root` }, ['sts:AssumeRole']),
      ),
    );
    await emulator.flushLogs();
  }
}

describe('S3 trail bucket (ListObjectsV2, GetObject) through /usr/bin/aws and boto3', () => {
  it('the reader role, assumed with its trail-source external id, lists and reads the log file holding a CreateRole', async () => {
    await recordAndDeliver(['made-for-the-trail']);
    const reader = await assumeReader(EXTERNAL_ID);

    const listing = cliJson<Listing>(
      await aws(reader, 's3api', 'list-objects-v2', '--bucket', BUCKET, '--prefix', PREFIX),
    );
    const keys = (listing.Contents ?? []).map((c) => c.Key);
    expect(keys.length).toBeGreaterThanOrEqual(1);
    expect(keys.every((k) => KEY_SHAPE.test(k))).toBe(true);
    expect([...keys].sort()).toEqual(keys);
    expect(listing.Contents?.[0]).toMatchObject({
      ETag: expect.stringMatching(/^"[0-9a-f]{32}"$/),
      Size: expect.any(Number),
    });

    const file = join(workDir, 'log.json.gz');
    let found: LogRecord | undefined;
    for (const key of keys) {
      const meta = cliJson<{ ContentLength: number; ContentType: string; ETag: string }>(
        await aws(reader, 's3api', 'get-object', '--bucket', BUCKET, '--key', key, file),
      );
      const body = readFileSync(file);
      expect(meta).toMatchObject({ ContentLength: body.length, ContentType: 'application/x-gzip' });
      found ??= records(body).find(
        (r) => r.eventName === 'CreateRole' && r.requestParameters?.roleName === 'made-for-the-trail',
      );
    }
    expect(found).toMatchObject({ eventSource: 'iam.amazonaws.com', recipientAccountId: CUSTOMER });
  });

  it('refuses the reader role to a foreign trail-source external id', async () => {
    const run = await assumeReaderRun('globex@trail-source@01J9ZQ3W4X5Y6Z7A8B9C0D1E2F');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('AccessDenied');
  });

  it('answers NoSuchKey, NoSuchBucket, AccessDenied and SignatureDoesNotMatch as S3 does', async () => {
    const reader = await assumeReader(EXTERNAL_ID);
    const out = join(workDir, 'missing');
    const getMissing = (as: StaticCredentials) =>
      aws(as, 's3api', 'get-object', '--bucket', BUCKET, '--key', `${PREFIX}nope.json.gz`, out);
    const missing = await getMissing(reader);
    expect(missing.stderr).toContain('(NoSuchKey)');
    const noBucket = await aws(reader, 's3api', 'list-objects-v2', '--bucket', 'no-such-trail-bucket');
    expect(noBucket.stderr).toContain('(NoSuchBucket)');
    const lookupOnly = await aws(NO_S3_USER, 's3api', 'list-objects-v2', '--bucket', BUCKET);
    expect(lookupOnly.stderr).toContain('(AccessDenied)');
    expect(lookupOnly.stderr).toContain('s3:ListBucket');
    // Without s3:ListBucket, a missing key is AccessDenied too: S3 does not tell it apart.
    const lookupOnlyGet = await getMissing(NO_S3_USER);
    expect(lookupOnlyGet.stderr).toContain('(AccessDenied)');
    const otherAccount = await aws(RUNTRAIL, 's3api', 'list-objects-v2', '--bucket', BUCKET);
    expect(otherAccount.stderr).toContain('(AccessDenied)');
    const tampered = await aws(
      { ...reader, secretAccessKey: 'tampered-tampered-tampered-tampered-xx' },
      's3api',
      'list-objects-v2',
      '--bucket',
      BUCKET,
    );
    expect(tampered.stderr).toContain('(SignatureDoesNotMatch)');
  });

  it("boto3's ListObjectsV2 paginator with MaxKeys=2 walks every file in key order; one holds the known event", async () => {
    await recordAndDeliver(['boto-paged-1', 'boto-paged-2', 'boto-paged-3', 'boto-paged-4']);
    const reader = await assumeReader(EXTERNAL_ID);
    const all = cliJson<Listing>(
      await aws(reader, 's3api', 'list-objects-v2', '--bucket', BUCKET, '--prefix', PREFIX),
    );
    const out = await runPython({
      endpoint: emulator.endpoint,
      reader,
      bucket: BUCKET,
      prefix: PREFIX,
      role: 'boto-paged-3',
    });
    expect(out.pages).toBeGreaterThanOrEqual(3);
    expect(out.pageSizes.every((n) => n <= 2)).toBe(true);
    expect(out.keys).toEqual((all.Contents ?? []).map((c) => c.Key));
    expect(out.keys.length).toBeGreaterThanOrEqual(5);
    expect(out.found).toBe(1);
    expect(out.regions).toEqual([`AWSLogs/${CUSTOMER}/CloudTrail/us-east-1/`]);
  });
});

const SCRIPT = String.raw`
import gzip, json, os
import boto3
env = json.loads(os.environ["SCENARIO"])
r = env["reader"]
s3 = boto3.client("s3", endpoint_url=env["endpoint"], region_name="us-east-1", aws_access_key_id=r["accessKeyId"],
                  aws_secret_access_key=r["secretAccessKey"], aws_session_token=r["sessionToken"])
pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=env["bucket"], Prefix=env["prefix"], PaginationConfig={"PageSize": 2}))
keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
found = 0
for k in keys:
    body = s3.get_object(Bucket=env["bucket"], Key=k)["Body"].read()
    for rec in json.loads(gzip.decompress(body))["Records"]:
        if rec["eventName"] == "CreateRole" and (rec.get("requestParameters") or {}).get("roleName") == env["role"]:
            found += 1
top = s3.list_objects_v2(Bucket=env["bucket"], Prefix="AWSLogs/" + env["prefix"].split("/")[1] + "/CloudTrail/", Delimiter="/")
print(json.dumps({"pages": len(pages), "pageSizes": [p["KeyCount"] for p in pages], "keys": keys, "found": found,
                  "regions": [c["Prefix"] for c in top.get("CommonPrefixes", [])]}))
`;

interface PythonOut {
  pages: number;
  pageSizes: number[];
  keys: string[];
  found: number;
  regions: string[];
}

function runPython(scenario: object): Promise<PythonOut> {
  return runPythonScenario<PythonOut>(SCRIPT, scenario);
}
