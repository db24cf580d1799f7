import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { parseCloudTrailRecord, type NormalizedEvent } from '@runtrail/cloudtrail';
import {
  AdminEventRecorded,
  CloudTrailPushedEvent,
  CredentialsFailedEvent,
  CredentialsIssuedEvent,
  RunPhaseChangedEvent,
  type AdminEvent,
  type CloudTrailPushed,
  type CredentialsFailed,
  type CredentialsIssued,
  type RunPhaseChanged,
} from '@runtrail/contracts';
import { OnEvent } from '@runtrail/messaging';
import { storeAdminEvent } from '../admin-log/store-admin-event';
import { excerptOf, keepBadRecords, type BadRecord } from '../ingest/bad-record';
import { IngestEvents } from '../ingest/ingest-events.usecase';
import { RecordIssuance } from '../runs/record-issuance.usecase';
import { RecordRunPhase } from '../runs/record-run-phase.usecase';
import { AuditDb } from '../storage/audit-db';

/**
 * What audit consumes from JetStream, each on its own durable consumer shared by the replicas.
 * Every handler is idempotent (inserts ignore repeats), so a redelivery changes nothing.
 */
@Controller()
export class AuditEventsHandler {
  constructor(
    private readonly phases: RecordRunPhase,
    private readonly issuances: RecordIssuance,
    private readonly ingest: IngestEvents,
    private readonly db: AuditDb,
  ) {}

  @OnEvent(RunPhaseChangedEvent, { durable: 'audit-runs', concurrency: 8 })
  async onRunPhase(@Payload() event: RunPhaseChanged): Promise<void> {
    await this.phases.record(event);
  }

  @OnEvent(CredentialsIssuedEvent, { durable: 'audit-credentials-issued', concurrency: 8 })
  async onIssued(@Payload() event: CredentialsIssued): Promise<void> {
    await this.issuances.issued(event);
  }

  @OnEvent(CredentialsFailedEvent, { durable: 'audit-credentials-failed', concurrency: 8 })
  async onFailed(@Payload() event: CredentialsFailed): Promise<void> {
    await this.issuances.failed(event);
  }

  /** Admin changes integrations made (`integrations.v1.admin.>`), for the admin log. */
  @OnEvent(AdminEventRecorded, { durable: 'audit-admin-events', concurrency: 8 })
  async onAdminEvent(@Payload() event: AdminEvent): Promise<void> {
    await storeAdminEvent(this.db, event);
  }

  /** Records pushed by a bridge: each is validated alone, so one bad record never rejects the batch. */
  @OnEvent(CloudTrailPushedEvent, { durable: 'audit-cloudtrail-push', concurrency: 1 })
  async onPushed(@Payload() batch: CloudTrailPushed): Promise<void> {
    const events: NormalizedEvent[] = [];
    const bad: BadRecord[] = [];
    const source = `push:${batch.source}:${batch.batchId}`;
    batch.records.forEach((record, index) => {
      const parsed = parseCloudTrailRecord(record);
      if (parsed.ok) events.push(parsed.event);
      else bad.push({ source, index, reason: parsed.reason, excerpt: excerptOf(record) });
    });
    if (bad.length) await keepBadRecords(this.db, bad);
    if (events.length) await this.ingest.ingest(events, source);
  }
}
