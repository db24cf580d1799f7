import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { InjectEntityManager, toRuntrailError } from '@runtrail/persistence';
import { Issuance } from './issuance.entity';
import { columnOf, executeWrite, insertIgnoringSql } from './ledger-sql';
import { serialiseSqliteWrites } from './sqlite-writes';

/** Identifies one issuance: a run's phase and one integration. */
export interface IssuanceKey {
  runId: string;
  phase: string;
  integrationId: string;
}

export interface ClaimRequest extends IssuanceKey {
  mode: string;
  sessionName: string;
  now: Date;
  leaseMs: number;
}

/**
 * What a claim found:
 * - `fresh`: nobody worked on this issuance before; go ahead.
 * - `takeover`: a replica claimed it and stopped (crashed) before delivering; `previous` says how far it got.
 * - `done`: already delivered or failed; nothing to do but re-announce.
 * - `busy`: another replica holds a live claim; try again later.
 */
export type ClaimOutcome =
  | { kind: 'fresh'; claimToken: string }
  | { kind: 'takeover'; claimToken: string; previous: Issuance }
  | { kind: 'done'; row: Issuance }
  | { kind: 'busy'; until: Date };

export function issuanceKey(k: IssuanceKey): string {
  return `${k.runId}:${k.phase}:${k.integrationId}`;
}

/** The `issuance` properties a claim inserts, in the order of its values. */
const CLAIM_SQL = insertIgnoringSql('issuance', 'key', [
  'key', 'runId', 'phase', 'integrationId', 'mode', 'sessionName', 'state', 'claimToken',
  'claimedUntil', 'accessKeyId', 'expiresAt', 'refreshes', 'failureCode', 'createdAt', 'updatedAt',
]);

/**
 * The issuance ledger (no secrets). Every transition is a compare-and-set on the row's claim token,
 * so of several replicas racing for one issuance exactly one proceeds.
 *
 * The claim and each transition are single SQL statements (`executeWrite`); a claim that finds the
 * row already there is `on conflict do nothing`, no error raised. Reads go through the entity.
 */
@Injectable()
export class IssuanceLedger {
  constructor(@InjectEntityManager('credential-broker') private readonly em: EntityManager) {}

  async claim(request: ClaimRequest): Promise<ClaimOutcome> {
    const key = issuanceKey(request);
    const claimToken = randomUUID();
    const claimedUntil = new Date(request.now.getTime() + request.leaseMs);
    const inserted = await this.write(key, () =>
      executeWrite(this.em, CLAIM_SQL, [
        key,
        request.runId,
        request.phase,
        request.integrationId,
        request.mode,
        request.sessionName,
        'claimed',
        claimToken,
        claimedUntil,
        null,
        null,
        0,
        null,
        request.now,
        request.now,
      ]),
    );
    if (inserted === 1) return { kind: 'fresh', claimToken };

    const row = await this.find(request);
    if (!row) return { kind: 'busy', until: request.now };
    if (row.state === 'delivered' || row.state === 'failed') return { kind: 'done', row };
    if (row.claimedUntil.getTime() > request.now.getTime()) return { kind: 'busy', until: row.claimedUntil };
    const taken = await this.compareAndSet(
      key,
      { claimToken: row.claimToken },
      { claimToken, claimedUntil, updatedAt: request.now },
    );
    return taken ? { kind: 'takeover', claimToken, previous: row } : { kind: 'busy', until: claimedUntil };
  }

  /** STS answered: the access key id and expiry are known before anything is published. */
  recordAssumed(
    k: IssuanceKey,
    claimToken: string,
    accessKeyId: string | null,
    expiresAt: Date,
    now: Date,
  ): Promise<boolean> {
    return this.transition(k, claimToken, { state: 'assumed', accessKeyId, expiresAt, updatedAt: now });
  }

  /** The sealed delivery is on JetStream. `accessKeyId`/`expiresAt` are the delivered session's. */
  recordDelivered(
    k: IssuanceKey,
    claimToken: string,
    accessKeyId: string | null,
    expiresAt: Date,
    now: Date,
  ): Promise<boolean> {
    return this.transition(k, claimToken, { state: 'delivered', accessKeyId, expiresAt, updatedAt: now });
  }

  /** Gives a claim up after a transient failure, so the redelivered event need not wait for the lease. */
  release(k: IssuanceKey, claimToken: string, now: Date): Promise<boolean> {
    return this.transition(k, claimToken, { claimedUntil: now, updatedAt: now });
  }

  recordFailed(k: IssuanceKey, claimToken: string, code: string, now: Date): Promise<boolean> {
    return this.transition(k, claimToken, { state: 'failed', failureCode: code, updatedAt: now });
  }

  /** Counts one refresh and returns its number (1, 2, ...); compare-and-set so two refreshes get two numbers. */
  async nextRefresh(k: IssuanceKey, accessKeyId: string | null, expiresAt: Date, now: Date): Promise<number> {
    const key = issuanceKey(k);
    for (;;) {
      const row = await this.find(k);
      if (!row) return 0;
      const next = row.refreshes + 1;
      const counted = await this.compareAndSet(
        key,
        { refreshes: row.refreshes },
        { refreshes: next, accessKeyId, expiresAt, updatedAt: now },
      );
      if (counted) return next;
    }
  }

  async find(k: IssuanceKey): Promise<Issuance | null> {
    const key = issuanceKey(k);
    try {
      return await this.em.fork().findOne(Issuance, { key }, { disableIdentityMap: true });
    } catch (error) {
      throw toRuntrailError(error, `issuance ${key}`);
    }
  }

  private transition(k: IssuanceKey, claimToken: string, data: Partial<Issuance>): Promise<boolean> {
    return this.compareAndSet(issuanceKey(k), { claimToken }, data);
  }

  /** Updates the row only if it still holds `expected`; false when another writer changed it first. */
  private async compareAndSet(
    key: string,
    expected: { claimToken: string } | { refreshes: number },
    data: Partial<Issuance>,
  ): Promise<boolean> {
    const set = Object.entries(data).filter(([, value]) => value !== undefined);
    const where = Object.entries(expected);
    const sql = `update "issuance" set ${set.map(([p]) => `"${columnOf(p)}" = ?`).join(', ')} where "key" = ? and ${where.map(([p]) => `"${columnOf(p)}" = ?`).join(' and ')}`;
    const params = [...set.map(([, v]) => v as unknown), key, ...where.map(([, v]) => v as unknown)];
    const updated = await this.write(key, () => executeWrite(this.em, sql, params));
    return updated === 1;
  }

  private write<T>(key: string, work: () => Promise<T>): Promise<T> {
    return serialiseSqliteWrites(this.em, () =>
      work().catch((error: unknown) => {
        throw toRuntrailError(error, `issuance ${key}`);
      }),
    );
  }
}
