import { cloudTrailPublicDatasets, describeEachDatabase } from '@runtrail/testing';
import { join } from 'node:path';
import { AuditStoreHarness } from '../../spec/audit-store.harness';

const DATASETS = cloudTrailPublicDatasets();

const q = {
  assumeRoles: `select count(*) from "cloudtrail_event" where "event_name" = 'AssumeRole'`,
  denied: `select count(*) from "cloudtrail_event" where "event_name" = 'AssumeRole' and "error_code" is not null`,
  deniedWithRole: `select count(*) from "cloudtrail_event" where "event_name" = 'AssumeRole' and "error_code" is not null and "role_arn" is not null`,
  sessions: `select count(*) from "aws_session"`,
  assumedRoleCalls: `select count(*) from "cloudtrail_event" where "principal_type" = 'AssumedRole'`,
  linkedByKey: `select count(*) from "cloudtrail_event" where "principal_type" = 'AssumedRole' and "link" = 'access_key'`,
  linked: `select count(*) from "cloudtrail_event" where "principal_type" = 'AssumedRole' and "session_event_id" is not null`,
  bad: `select count(*) from "bad_record"`,
  secrets: `select count(*) from "cloudtrail_event" where cast("response_elements" as text) like '%sessionToken%' or cast("response_elements" as text) like '%secretAccessKey%'`,
};

async function counts(audit: AuditStoreHarness): Promise<Record<keyof typeof q, number>> {
  const out: Record<string, number> = {};
  for (const [name, sql] of Object.entries(q)) out[name] = await audit.count(sql);
  return out as Record<keyof typeof q, number>;
}

describeEachDatabase('importing the public CloudTrail logs', (db) => {
  it('invictus: 2,900 records, zero failures, 36 sessions, 70 of 76 AssumedRole calls linked by access key (+6 by ARN), 13 denied kept', async () => {
    const audit = await AuditStoreHarness.open(db.databaseUrl);
    try {
      const progress = await audit.importer.importPath(join(DATASETS, 'invictus-aws-dataset'));
      // The dataset README says 56 files; the folder holds 55 (the record count matches).
      expect(progress).toMatchObject({ filesDone: 55, filesTotal: 55, events: 2900, bad: 0, inserted: 2900, duplicates: 0 });
      const c = await counts(audit);
      // 70 calls carry a key an AssumeRole of the set issued; the 6 keyless ones are AWS-service
      // sessions (Inspector, RDS) whose service-linked role ARN an AssumeRole of the set issued.
      expect(c).toEqual({ assumeRoles: 49, denied: 13, deniedWithRole: 13, sessions: 36, assumedRoleCalls: 76, linkedByKey: 70, linked: 76, bad: 0, secrets: 0 });
      // A second import adds nothing: every record is deduplicated on its eventID.
      const again = await audit.importer.importPath(join(DATASETS, 'invictus-aws-dataset'));
      expect(again).toMatchObject({ events: 2900, inserted: 0, duplicates: 2900 });
    } finally {
      await audit.close();
    }
  });

  it('stratus: 310 events, zero failures, 8 sessions, 47 of 68 AssumedRole calls linked, 4 denied kept', async () => {
    const audit = await AuditStoreHarness.open(await db.newDatabaseUrl('stratus'));
    try {
      const progress = await audit.importer.importPath(join(DATASETS, 'stratus-red-team/detonation-logs'));
      expect(progress).toMatchObject({ filesDone: 35, events: 310, bad: 0, inserted: 310 });
      const c = await counts(audit);
      // The 21 unlinked calls are EC2 instance-profile sessions, which no AssumeRole of the set issued.
      expect(c).toEqual({ assumeRoles: 12, denied: 4, deniedWithRole: 4, sessions: 8, assumedRoleCalls: 68, linkedByKey: 47, linked: 47, bad: 0, secrets: 0 });
    } finally {
      await audit.close();
    }
  });
});
