import { json, num, str, type AuditDb } from '../storage/audit-db';
import { accountOfExternalId } from './batch-findings';
import type { FindingStore, NewFinding } from './finding.store';

export interface SweepSettings {
  /** How long after an AssumeRole with runtrail's marks its issuance may still arrive. */
  unissuedGraceMs: number;
  /** How long an issuance may stay absent from the trail (CloudTrail delivers in ~5-15 min). */
  issuanceGraceMs: number;
  /** How far back a sweep looks; older facts were swept already. */
  lookbackMs: number;
}

/**
 * Findings that only time reveals, checked periodically: an AssumeRole that looks like runtrail's
 * (external id or session name format) but matched no issuance once the grace has passed, and an
 * issuance whose AssumeRole never appeared in the trail. Both read partial indexes that hold only
 * unmatched rows.
 */
export class SweepFindings {
  constructor(
    private readonly db: AuditDb,
    private readonly findings: FindingStore,
    private readonly settings: SweepSettings,
  ) {}

  async sweep(now = Date.now()): Promise<number> {
    const found = [...(await this.unissued(now)), ...(await this.missingFromTrail(now))];
    const raised = await this.findings.raise(found);
    await this.findings.publishPending();
    return raised.length;
  }

  private async unissued(now: number): Promise<NewFinding[]> {
    const rows = await this.db.all(
      `select e."event_id", e."event_time", e."role_arn", e."recipient_account_id", e."principal_arn", e."runtrail_marker", e."source_ip",
              e."request_parameters", ir."account" as "integrated_account"
         from "cloudtrail_event" e left join "integrated_role" ir on ir."role_arn" = e."role_arn"
        where e."runtrail_marker" is not null and e."run_id" is null and e."event_time" between ? and ? and e."error_code" is null
        order by e."event_time" limit 1000`,
      [now - this.settings.lookbackMs, now - this.settings.unissuedGraceMs],
    );
    return rows.map((row) => ({
      id: `unissued_assume_role:${String(row['event_id'])}`,
      kind: 'unissued_assume_role',
      severity: 'high',
      account: str(row['integrated_account']) ?? accountOfExternalId(json<{ externalId?: string }>(row['request_parameters'])?.externalId),
      runId: null,
      roleArn: str(row['role_arn']),
      awsAccountId: str(row['recipient_account_id']),
      eventId: String(row['event_id']),
      message: `${str(row['principal_arn']) ?? 'someone'} assumed ${str(row['role_arn']) ?? 'a role'} with runtrail's ${str(row['runtrail_marker'])} format, but runtrail issued no such credentials`,
      details: { marker: str(row['runtrail_marker']), principalArn: str(row['principal_arn']), sourceIp: str(row['source_ip']), eventTime: new Date(num(row['event_time'])).toISOString() },
    }));
  }

  private async missingFromTrail(now: number): Promise<NewFinding[]> {
    const rows = await this.db.all(
      `select "id", "run_id", "account", "role_arn", "access_key_id", "session_name", "issued_at" from "issuance"
        where "assume_event_id" is null and "access_key_id" is not null and "issued_at" between ? and ? order by "issued_at" limit 1000`,
      [now - this.settings.lookbackMs, now - this.settings.issuanceGraceMs],
    );
    return rows.map((row) => ({
      id: `issuance_not_in_trail:${String(row['id'])}`,
      kind: 'issuance_not_in_trail',
      severity: 'medium',
      account: str(row['account']),
      runId: str(row['run_id']),
      roleArn: str(row['role_arn']),
      awsAccountId: accountOfArn(str(row['role_arn'])),
      eventId: null,
      message: `credentials issued to run ${String(row['run_id'])} (${str(row['access_key_id'])}) never appeared in CloudTrail`,
      details: { accessKeyId: str(row['access_key_id']), sessionName: str(row['session_name']), issuedAt: new Date(num(row['issued_at'])).toISOString() },
    }));
  }
}

function accountOfArn(arn: string | null): string | null {
  return arn?.split(':')[4] || null;
}
