import { CredentialsIssuedEvent, type CredentialsFailed, type CredentialsIssued } from '@runtrail/contracts';
import type { FindingStore } from '../findings/finding.store';
import { findUsedAfterEnd } from '../findings/used-after-end.check';
import { num, str, type AuditDb } from '../storage/audit-db';
import { RunEventSpans } from './run-event-span';
import { ensureRun } from './record-run-phase.usecase';

/**
 * Records what credential-broker issued (`credentials.v1.issued`) or failed to issue
 * (`credentials.v1.failed`). Both mark the role as integrated (denied AssumeRoles on it become
 * findings). When the trail already holds the AssumeRole that issued the key (the trail can be
 * ingested first, e.g. a replayed import), the session, its calls and the sessions chained from it
 * are linked to the run now.
 */
export class RecordIssuance {
  constructor(
    private readonly db: AuditDb,
    private readonly findings: FindingStore,
  ) {}

  async issued(e: CredentialsIssued): Promise<void> {
    const id = CredentialsIssuedEvent.msgId(e);
    const linked = await this.db.transaction(async (tx) => {
      // An ingest storing the AssumeRole of this key at the same time holds the same lock: one of the
      // two sees the other's rows and links them.
      if (e.accessKeyId) await tx.lockSessions([e.accessKeyId]);
      await ensureRun(tx, { runId: e.runId, account: e.account, spaceId: e.spaceId, callerType: e.caller.type, callerId: e.caller.id,
        callerSlug: e.caller.slug, runType: 'UNKNOWN', workerId: e.workerId });
      await tx.run(
        `insert into "issuance" ("id", "run_id", "account", "space_id", "caller_id", "integration_id", "role_arn", "phase", "scope", "mode",
          "access_key_id", "session_name", "source_identity", "issued_at", "expires_at") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          on conflict ("id") do nothing`,
        [id, e.runId, e.account, e.spaceId, e.caller.id, e.integrationId, e.roleArn, e.phase, e.scope, e.mode, e.accessKeyId,
          e.sessionName, e.sourceIdentity, Date.parse(e.issuedAt), Date.parse(e.expiresAt)],
      );
      await markIntegrated(tx, e.roleArn, e.account);
      if (!e.accessKeyId) return false;
      const spans = new RunEventSpans();
      const run = { runId: e.runId, account: e.account, spaceId: e.spaceId, callerId: e.caller.id };
      if (!(await linkIssuedSession(tx, id, e.accessKeyId, run, spans))) return false;
      await spans.save(tx);
      return true;
    });
    if (linked) await this.findings.raise(await findUsedAfterEnd(this.db, e.runId));
  }

  async failed(e: CredentialsFailed): Promise<void> {
    if (e.roleArn) await markIntegrated(this.db, e.roleArn, e.account);
  }
}

/**
 * Links issuance `issuanceId` to the stored AssumeRole that issued `accessKeyId`, if the trail has
 * brought it and no run has it yet: the AssumeRole, the session, its calls and the sessions chained
 * from it become the run's. The caller holds the session's lock ({@link AuditDb.lockSessions}).
 * @returns whether the session was there to link
 */
export async function linkIssuedSession(
  tx: AuditDb,
  issuanceId: string,
  accessKeyId: string,
  run: RunFields,
  spans: RunEventSpans,
): Promise<boolean> {
  const [session] = await tx.all(`select "assume_event_id" from "aws_session" where "access_key_id" = ? and "run_id" is null`, [accessKeyId]);
  if (!session) return false;
  const assumeEventId = str(session['assume_event_id']);
  await tx.run(`update "issuance" set "assume_event_id" = ? where "id" = ? and "assume_event_id" is null`, [assumeEventId, issuanceId]);
  await tx.run(`update "cloudtrail_event" set "link" = 'issuance_access_key' where "event_id" = ? and "run_id" is null`, [assumeEventId]);
  await linkSessionTree(tx, accessKeyId, run, spans);
  return true;
}

async function markIntegrated(db: AuditDb, roleArn: string, account: string): Promise<void> {
  await db.run(`insert into "integrated_role" ("role_arn", "account") values (?, ?) on conflict ("role_arn") do nothing`, [roleArn, account]);
}

export interface RunFields {
  runId: string;
  account: string;
  spaceId: string;
  callerId: string;
}

const MAX_CHAIN_DEPTH = 10;

/** Gives a session, its calls, and the sessions chained from it (depth-limited) to a run. */
async function linkSessionTree(db: AuditDb, accessKeyId: string, run: RunFields, spans: RunEventSpans, depth = 0): Promise<void> {
  const values = [run.runId, run.account, run.spaceId, run.callerId];
  await db.run(`update "aws_session" set "run_id" = ?, "account" = ?, "space_id" = ?, "caller_id" = ? where "access_key_id" = ? and "run_id" is null`,
    [...values, accessKeyId]);
  const [session] = await db.all(`select "assume_event_id" from "aws_session" where "access_key_id" = ?`, [accessKeyId]);
  const linked = await db.all(`update "cloudtrail_event" set "run_id" = ?, "account" = ?, "space_id" = ?, "caller_id" = ?
      where ("access_key_id" = ? or "event_id" = ?) and "run_id" is null returning "event_time"`,
    [...values, accessKeyId, str(session?.['assume_event_id'])]);
  for (const row of linked) spans.add(run.runId, num(row['event_time']));
  if (depth >= MAX_CHAIN_DEPTH) return;
  for (const child of await db.all(`select "access_key_id" from "aws_session" where "parent_access_key_id" = ? and "run_id" is null`, [accessKeyId])) {
    await linkSessionTree(db, String(child['access_key_id']), run, spans, depth + 1);
  }
}
