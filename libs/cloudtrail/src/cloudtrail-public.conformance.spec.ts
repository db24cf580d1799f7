// Conformance against real AWS output (../shared/datasets/cloudtrail-public, see its README):
// every record must normalise, and the README's counts must come out of the normalised events.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readCloudTrailFile } from './read-cloudtrail-file';
import type { NormalizedEvent } from './lib/normalized-event.types';

// shared/ sits beside the repository. (libs/testing resolves the same folder for other suites; this
// lib cannot import it, because the test harness itself depends on libs/cloudtrail.)
const DATASETS = join(process.env['RUNTRAIL_DATASETS_DIR'] ?? join(__dirname, '../../../../shared/datasets'), 'cloudtrail-public');

async function readFolder(
  folder: string,
): Promise<{ events: NormalizedEvent[]; failures: string[]; files: number }> {
  const dir = join(DATASETS, folder);
  const files = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'package.json');
  const events: NormalizedEvent[] = [];
  const failures: string[] = [];
  for (const file of files) {
    for await (const item of readCloudTrailFile(join(dir, file))) {
      if (item.ok) events.push(item.event);
      else failures.push(`${file}#${item.index}: ${item.reason}`);
    }
  }
  return { events, failures, files: files.length };
}

function assumeRoleStats(events: NormalizedEvent[]) {
  const assumeRoles = events.filter((e) => e.eventName === 'AssumeRole');
  const succeeded = assumeRoles.filter((e) => !e.errorCode);
  const denied = assumeRoles.filter((e) => e.errorCode === 'AccessDenied');
  const issuedKeys = new Set(succeeded.map((e) => e.assumeRole!.issuedAccessKeyId).filter(Boolean));
  const assumedArns = new Set(succeeded.map((e) => e.assumeRole!.assumedRoleArn).filter(Boolean));
  const byAssumedRole = events.filter((e) => e.principal.type === 'AssumedRole');
  const linkedByKey = byAssumedRole.filter(
    (e) => e.principal.accessKeyId && issuedKeys.has(e.principal.accessKeyId),
  );
  const linked = byAssumedRole.filter(
    (e) =>
      (e.principal.accessKeyId && issuedKeys.has(e.principal.accessKeyId)) ||
      (e.principal.arn && assumedArns.has(e.principal.arn)),
  );
  return { assumeRoles, succeeded, denied, byAssumedRole, linkedByKey, linked };
}

function count(events: NormalizedEvent[], name: string): number {
  return events.filter((e) => e.eventName === name).length;
}

describe('CloudTrail conformance: public datasets', () => {
  it('invictus-aws-dataset: 2,900 records, all parsed, README counts reproduced', async () => {
    const { events, failures, files } = await readFolder('invictus-aws-dataset/CloudTrail');
    // The README says 56 files; the folder holds 55 (the record count, 2,900, matches).
    expect(files).toBe(55);
    expect(failures).toEqual([]);
    expect(events).toHaveLength(2900);

    const stats = assumeRoleStats(events);
    expect(stats.assumeRoles).toHaveLength(49);
    expect(stats.succeeded).toHaveLength(36);
    expect(stats.denied).toHaveLength(13);
    expect(count(events, 'AssumeRoleWithWebIdentity')).toBe(0);
    expect(stats.byAssumedRole).toHaveLength(76);
    expect(stats.linkedByKey).toHaveLength(70);
    // The 6 others are AWS-service sessions without a key.
    const unlinked = stats.byAssumedRole.filter((e) => !stats.linkedByKey.includes(e));
    expect(unlinked.every((e) => e.principal.accessKeyId === null && e.principal.invokedBy !== null)).toBe(
      true,
    );

    for (const denied of stats.denied) {
      expect(denied.requestParameters).toBeNull();
      expect(denied.assumeRole!.roleSessionName).toBeNull();
      expect(denied.assumeRole!.roleArn).toMatch(/^arn:aws:iam::\d{12}:role\/\S+[^.]$/);
    }
    for (const ok of stats.succeeded) {
      expect(ok.assumeRole!.roleArn).toMatch(/^arn:aws:iam::/);
      expect(ok.assumeRole!.issuedAccessKeyId).toMatch(/^ASIA/);
      expect(ok.assumeRole!.expiration).toBeInstanceOf(Date);
      expect(ok.assumeRole!.expiration!.getTime()).toBeGreaterThan(ok.eventTime.getTime());
    }
    // Session names repeat across two AssumeRole calls with different keys (README quirk).
    const names = stats.succeeded.map((e) => e.assumeRole!.roleSessionName);
    expect(new Set(names).size).toBeLessThan(names.length);
    // File names carry 218007301253 but the records say 123837392027.
    expect(new Set(events.map((e) => e.recipientAccountId))).toEqual(new Set(['123837392027']));
  });

  it('stratus-red-team: 310 events, all parsed, README counts reproduced', async () => {
    const { events, failures, files } = await readFolder('stratus-red-team/detonation-logs');
    expect(files).toBe(35);
    expect(failures).toEqual([]);
    expect(events).toHaveLength(310);

    const stats = assumeRoleStats(events);
    expect(stats.assumeRoles).toHaveLength(12);
    expect(stats.succeeded).toHaveLength(8);
    expect(stats.denied).toHaveLength(4);
    expect(count(events, 'GetFederationToken')).toBe(1);
    expect(count(events, 'GetCallerIdentity')).toBe(3);
    expect(stats.byAssumedRole).toHaveLength(68);
    expect(stats.linked).toHaveLength(47);
    for (const denied of stats.denied)
      expect(denied.assumeRole!.roleArn).toMatch(/^arn:aws:iam::\d{12}:role\//);
    // Fake regions are kept as they are.
    expect(events.some((e) => e.awsRegion === 'sagov-west-2r' || /\dr$/.test(e.awsRegion ?? ''))).toBe(true);
  });

  it('never keeps a session token or secret from real logs', async () => {
    for (const folder of ['invictus-aws-dataset/CloudTrail', 'stratus-red-team/detonation-logs']) {
      const { events } = await readFolder(folder);
      const withCredentials = events.filter((e) => e.responseElements?.['credentials']);
      expect(withCredentials.length).toBeGreaterThan(0);
      for (const e of withCredentials) {
        const credentials = e.responseElements!['credentials'] as Record<string, unknown>;
        expect(credentials).not.toHaveProperty('sessionToken');
        expect(credentials).not.toHaveProperty('secretAccessKey');
        expect(credentials['accessKeyId']).toBeDefined();
      }
    }
  });
});
