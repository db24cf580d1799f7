import type { FindingRaised } from '@runtrail/contracts';
import { runtrailCounter } from '@runtrail/telemetry';
import { AuditDb } from '../storage/audit-db';

/** A finding before it is stored; its id is deterministic so raising it twice is a no-op. */
export type NewFinding = Omit<FindingRaised, 'detectedAt'> & { detectedAt?: Date };

/** Where findings go once stored (a NATS publisher in the service; nothing in the CLI import). */
export interface FindingPublisher {
  publish(finding: FindingRaised): Promise<void>;
}

export const FINDING_COLUMNS = [
  'id', 'kind', 'severity', 'account', 'run_id', 'role_arn', 'aws_account_id', 'event_id', 'message', 'detected_at', 'details',
] as const;

/**
 * Stores findings idempotently (insert-or-ignore on the deterministic id) and publishes the new
 * ones on `audit.v1.finding` with `Nats-Msg-Id = finding:<id>`. A finding whose publish failed
 * keeps `published_at` null and is retried by {@link FindingStore.publishPending}.
 */
export class FindingStore {
  constructor(
    private readonly db: AuditDb,
    private readonly publisher: FindingPublisher | null,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Stores the findings not stored yet and publishes them; returns the ones that were new. */
  async raise(findings: NewFinding[]): Promise<FindingRaised[]> {
    if (!findings.length) return [];
    const fresh: FindingRaised[] = [];
    for (const f of findings) {
      const full: FindingRaised = { ...f, detectedAt: (f.detectedAt ?? this.now()).toISOString() };
      const rows = await this.db.all(
        `insert into "finding" (${FINDING_COLUMNS.map((c) => `"${c}"`).join(', ')}) values ${AuditDb.placeholders(1, FINDING_COLUMNS.length)}
         on conflict ("id") do nothing returning "id"`,
        [full.id, full.kind, full.severity, full.account, full.runId, full.roleArn, full.awsAccountId, full.eventId, full.message,
          Date.parse(full.detectedAt), JSON.stringify(full.details)],
      );
      if (rows.length) fresh.push(full);
    }
    for (const f of fresh) runtrailCounter('findings').add(1, { 'runtrail.finding.kind': f.kind });
    for (const f of fresh) await this.publishOne(f);
    return fresh;
  }

  /** Publishes findings stored while NATS was unreachable. */
  async publishPending(limit = 500): Promise<number> {
    if (!this.publisher) return 0;
    const rows = await this.db.all(`select * from "finding" where "published_at" is null order by "detected_at" limit ${Math.floor(limit)}`);
    let published = 0;
    for (const row of rows) {
      if (await this.publishOne(rowToFinding(row))) published++;
    }
    return published;
  }

  private async publishOne(finding: FindingRaised): Promise<boolean> {
    if (!this.publisher) return false;
    try {
      await this.publisher.publish(finding);
    } catch {
      return false; // stays unpublished; publishPending retries with the same msg id
    }
    await this.db.run(`update "finding" set "published_at" = ? where "id" = ?`, [this.now().getTime(), finding.id]);
    return true;
  }
}

/** A `finding` row as the contract's payload. */
export function rowToFinding(row: Record<string, unknown>): FindingRaised {
  const details = row['details'];
  return {
    id: String(row['id']),
    kind: String(row['kind']) as FindingRaised['kind'],
    severity: String(row['severity']) as FindingRaised['severity'],
    account: (row['account'] as string | null) ?? null,
    runId: (row['run_id'] as string | null) ?? null,
    roleArn: (row['role_arn'] as string | null) ?? null,
    awsAccountId: (row['aws_account_id'] as string | null) ?? null,
    eventId: (row['event_id'] as string | null) ?? null,
    message: String(row['message']),
    detectedAt: new Date(Number(row['detected_at'])).toISOString(),
    details: (typeof details === 'string' ? JSON.parse(details) : details) as Record<string, unknown>,
  };
}

