import { ProblemError } from '@runtrail/bootstrap';
import { trailSourceExternalId } from '@runtrail/aws-identity';
import type { RetryPolicy } from '@runtrail/aws-sts';
import { RuntrailError, type AdminEvent, type CreateTrailSource, type PatchTrailSource, type TrailSourceView } from '@runtrail/contracts';
import { ulid } from 'ulid';
import { storeAdminEvent } from '../admin-log/store-admin-event';
import type { RequestKey } from '../api/api-key.guard';
import type { AuditScope } from '../queries/audit-scope';
import type { AuditDb } from '../storage/audit-db';
import type { TrailAws } from './reader-sessions';
import {
  deleteTrailSource,
  findTrailSourceByAwsAccount,
  getTrailSource,
  listTrailSources,
  saveTrailSource,
  trailRegions,
  type TrailRegionRow,
  type TrailSource,
} from './trail-source.store';
import { verifyTrailSource } from './verify-trail-source';

/** What the trail-source use cases need besides the store. */
export interface TrailSourceDeps {
  db: AuditDb;
  aws: TrailAws;
  /** runtrail's own AWS account (`PLATFORM_AWS_ACCOUNT_ID`): the trust statement's principal. */
  platformAccountId: string;
  /** Called after a write so this replica's poller follows at once (the others on their next sync). */
  changed: () => void;
  retry?: RetryPolicy;
}

/**
 * Trail sources, account-level: only an account-wide admin key may write them (a space-limited
 * admin cannot, since a source reads the whole AWS account). Every write is verified first and
 * nothing is stored on refusal; the admin log row is written in the same transaction as the change.
 */
export class TrailSources {
  constructor(private readonly deps: TrailSourceDeps) {}

  async list(scope: AuditScope, now = Date.now()): Promise<TrailSourceView[]> {
    const account = accountWide(scope);
    const sources = await listTrailSources(this.deps.db, account);
    const regions = await trailRegions(this.deps.db, sources.map((s) => s.id));
    return sources.map((s) => view(s, regions, now));
  }

  async get(scope: AuditScope, id: string, now = Date.now()): Promise<TrailSourceView> {
    const source = await this.find(accountWide(scope), id);
    return view(source, await trailRegions(this.deps.db, [id]), now);
  }

  async create(key: RequestKey, body: CreateTrailSource): Promise<TrailSourceView> {
    const account = writer(key);
    if (await findTrailSourceByAwsAccount(this.deps.db, account, body.awsAccountId))
      throw new RuntrailError('CONFLICT', `this account already has a trail source for AWS account ${body.awsAccountId}; PATCH it instead`);
    const now = Date.now();
    const source: TrailSource = {
      id: ulid(), account, awsAccountId: body.awsAccountId, regions: body.regions, roleArn: body.roleArn,
      bucket: body.bucket ?? null, prefix: body.prefix ?? null, createdAt: now, updatedAt: now, verifiedAt: now,
    };
    await this.verified(source, false);
    await this.deps.db.transaction(async (tx) => {
      await saveTrailSource(tx, source);
      await storeAdminEvent(tx, adminEvent(key, 'trail_source.created', source));
    });
    this.deps.changed();
    return this.get(key.scope, source.id);
  }

  async update(key: RequestKey, id: string, patch: PatchTrailSource): Promise<TrailSourceView> {
    const account = writer(key);
    const before = await this.find(account, id);
    const now = Date.now();
    const after: TrailSource = {
      ...before,
      regions: patch.regions ?? before.regions,
      roleArn: patch.roleArn ?? before.roleArn,
      bucket: patch.bucket === undefined ? before.bucket : patch.bucket,
      prefix: patch.prefix === undefined ? before.prefix : patch.prefix,
      updatedAt: now, verifiedAt: now,
    };
    if (after.roleArn.split(':')[4] !== after.awsAccountId)
      throw new RuntrailError('VALIDATION_FAILED', 'invalid trail source: roleArn: must be a role in awsAccountId', [{ path: 'roleArn', rule: 'must be a role in awsAccountId' }]);
    if (after.prefix !== null && after.bucket === null)
      throw new RuntrailError('VALIDATION_FAILED', 'invalid trail source: prefix: needs a bucket', [{ path: 'prefix', rule: 'needs a bucket' }]);
    await this.verified(after, true);
    const changes = (['regions', 'roleArn', 'bucket', 'prefix'] as const).filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]));
    await this.deps.db.transaction(async (tx) => {
      await saveTrailSource(tx, after);
      await storeAdminEvent(tx, { ...adminEvent(key, 'trail_source.updated', after), changes });
    });
    this.deps.changed();
    return this.get(key.scope, id);
  }

  async remove(key: RequestKey, id: string): Promise<void> {
    const source = await this.find(writer(key), id);
    await this.deps.db.transaction(async (tx) => {
      await deleteTrailSource(tx, id);
      await storeAdminEvent(tx, adminEvent(key, 'trail_source.removed', source));
    });
    this.deps.changed();
  }

  private async find(account: string, id: string): Promise<TrailSource> {
    const source = await getTrailSource(this.deps.db, account, id);
    if (!source) throw new RuntrailError('NOT_FOUND', `no trail source ${id} in this account`);
    return source;
  }

  /** @throws ProblemError `UNSAFE_TRUST_POLICY` (422) with every check and the statements to paste. */
  private async verified(source: TrailSource, saved: boolean): Promise<void> {
    const verdict = await verifyTrailSource(this.deps.aws, source, this.deps.platformAccountId, { policy: this.deps.retry, saved });
    if (verdict.ok) return;
    const failing = verdict.checks.filter((c) => c.status === 'fail').map((c) => c.check);
    throw new ProblemError('UNSAFE_TRUST_POLICY', `the reader role ${source.roleArn} failed ${failing.join(', ')}; nothing was saved`, {
      checks: verdict.checks,
      // A refused new source is not stored, so its id is not kept: the statement matches any of the account's.
      ...(saved ? { externalId: trailSourceExternalId({ account: source.account, sourceId: source.id }) } : {}),
      trustStatement: verdict.trustStatement,
      permissionStatements: verdict.permissionStatements,
    });
  }
}

/** Trail sources are account-level: like account-level admin events, a key limited to spaces never sees them. */
function accountWide(scope: AuditScope): string {
  if (scope.visibleSpaces !== null)
    throw new RuntrailError('FORBIDDEN', 'trail sources are account-level: use a key that is not limited to spaces');
  return scope.account;
}

/** The account an admin key may write trail sources of. */
function writer(key: RequestKey): string {
  const account = accountWide(key.scope);
  if (key.role !== 'admin') throw new RuntrailError('FORBIDDEN', 'trail sources are changed with an admin key');
  return account;
}

function adminEvent(key: RequestKey, action: AdminEvent['action'], source: TrailSource): AdminEvent {
  return {
    id: ulid(),
    account: source.account,
    actor: { keyId: key.keyId, role: key.role },
    action,
    target: { type: 'trail_source', id: source.id, name: `aws:${source.awsAccountId}` },
    spaceId: null,
    at: new Date().toISOString(),
  };
}

function view(s: TrailSource, regions: TrailRegionRow[], now: number): TrailSourceView {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: s.id, account: s.account, awsAccountId: s.awsAccountId, regions: s.regions, roleArn: s.roleArn, bucket: s.bucket, prefix: s.prefix,
    externalId: trailSourceExternalId({ account: s.account, sourceId: s.id }),
    createdAt: new Date(s.createdAt).toISOString(), updatedAt: new Date(s.updatedAt).toISOString(), verifiedAt: new Date(s.verifiedAt).toISOString(),
    health: s.regions.map((region) => {
      const r = regions.find((x) => x.sourceId === s.id && x.region === region);
      return {
        region,
        lastSuccessfulPollAt: iso(r?.lastSuccessAt ?? null),
        lagSeconds: r?.checkpointMs == null ? null : Math.max(0, Math.round((now - r.checkpointMs) / 1000)),
        lastError: r?.lastError ?? null,
        lastErrorAt: iso(r?.lastErrorAt ?? null),
        eventsIngested: r?.eventsIngested ?? 0,
      };
    }),
  };
}
