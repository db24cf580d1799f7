import type { MikroORM } from '@mikro-orm/core';
import type { Provider } from '@nestjs/common';
import { FindingRaisedEvent } from '@runtrail/contracts';
import { MessageBus } from '@runtrail/messaging';
import { getMikroORMToken } from '@runtrail/persistence';
import type { AuditEnv } from '../audit.env';
import { FindingStore } from '../findings/finding.store';
import { parseIpRanges } from '../findings/ip-ranges';
import { SweepFindings } from '../findings/sweep-findings.usecase';
import { ImportFiles } from '../ingest/import-files.usecase';
import { IngestEvents } from '../ingest/ingest-events.usecase';
import { RecordIssuance } from '../runs/record-issuance.usecase';
import { RecordRunPhase } from '../runs/record-run-phase.usecase';
import { AuditDb } from '../storage/audit-db';

export const AUDIT_ENV = Symbol('AUDIT_ENV');

/** The use cases of the audit service, built from its database and the bus (no other state). */
export function auditProviders(env: AuditEnv): Provider[] {
  return [
    { provide: AUDIT_ENV, useValue: env },
    {
      provide: AuditDb,
      inject: [getMikroORMToken('audit')],
      useFactory: (orm: MikroORM) => AuditDb.of(orm),
    },
    {
      provide: FindingStore,
      inject: [AuditDb, MessageBus],
      useFactory: (db: AuditDb, bus: MessageBus) =>
        new FindingStore(db, { publish: async (finding) => void (await bus.publish(FindingRaisedEvent, finding)) }),
    },
    {
      provide: IngestEvents,
      inject: [AuditDb, FindingStore],
      useFactory: (db: AuditDb, findings: FindingStore) => new IngestEvents(db, findings, { workerIpRanges: parseIpRanges(env.AUDIT_WORKER_IP_RANGES) }),
    },
    { provide: ImportFiles, inject: [AuditDb, IngestEvents], useFactory: (db: AuditDb, ingest: IngestEvents) => new ImportFiles(db, ingest) },
    { provide: RecordRunPhase, inject: [AuditDb, FindingStore], useFactory: (db: AuditDb, f: FindingStore) => new RecordRunPhase(db, f) },
    { provide: RecordIssuance, inject: [AuditDb, FindingStore], useFactory: (db: AuditDb, f: FindingStore) => new RecordIssuance(db, f) },
    {
      provide: SweepFindings,
      inject: [AuditDb, FindingStore],
      useFactory: (db: AuditDb, f: FindingStore) =>
        new SweepFindings(db, f, {
          unissuedGraceMs: env.AUDIT_UNISSUED_GRACE_SECONDS * 1000,
          issuanceGraceMs: env.AUDIT_ISSUANCE_GRACE_SECONDS * 1000,
          lookbackMs: 30 * 86_400_000,
        }),
    },
  ];
}
