import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { InjectEntityManager, toRuntrailError } from '@runtrail/persistence';
import { Issuance } from './issuance.entity';
import { columnOf, executeWrite, insertIgnoringSql } from './ledger-sql';
import { isoColumn, isPostgres, postgresBatcher } from './postgres-batches';
import { serialiseSqliteWrites } from './sqlite-writes';
import type { StatementBatcher } from './statement-batcher';

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

/** A fresh claim's row. */
interface ClaimRow {
  key: string;
  request: ClaimRequest;
  claimToken: string;
  claimedUntil: Date;
}

/** The `assumed` and `delivered` transitions: a compare-and-set on the claim token. */
interface StateRow {
  key: string;
  claimToken: string;
  state: 'assumed' | 'delivered';
  accessKeyId: string | null;
  expiresAt: Date;
  now: Date;
}

/**
 * On PostgreSQL, the claims of concurrent issuances are one statement (`insert ... select from
 * unnest(...) on conflict do nothing returning key`), and so are their `assumed`/`delivered`
 * transitions (`update ... from unnest(...) where key and claim token match returning key`): the
 * same compare-and-set per row as one statement each, in one round trip per batch.
 */
const PG_CLAIM = {
  name: 'runtrail_broker_claim',
  text: `insert into "issuance" ("key", "run_id", "phase", "integration_id", "mode", "session_name", "state",
      "claim_token", "claimed_until", "access_key_id", "expires_at", "refreshes", "failure_code", "created_at", "updated_at")
    select v.key, v.run_id, v.phase, v.integration_id, v.mode, v.session_name, 'claimed', v.claim_token,
      v.claimed_until, null, null, 0, null, v.now, v.now
    from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[])
      as v(key, run_id, phase, integration_id, mode, session_name, claim_token, claimed_until, now)
    on conflict ("key") do nothing
    returning "key"`,
};
/**
 * Unnamed (planned at each run), unlike the claim: a prepared statement's plan is kept for the
 * connection's life once it looks as cheap as planning anew, and this join's plan depends on the
 * table's size. Prepared while the table was small, it joined by scanning the whole table, and did
 * so for every later batch however large the table grew (until an ANALYZE of the table): 450 rows
 * read per issuance at 17,000 rows in bench P1b. Planned per run, it looks each row up by the
 * primary key; planning costs about as much as one row's update, once per batch.
 */
const PG_STATE = {
  text: `update "issuance" as i
    set "state" = v.state, "access_key_id" = v.access_key_id, "expires_at" = v.expires_at, "updated_at" = v.now
    from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[])
      as v(key, claim_token, state, access_key_id, expires_at, now)
    where i."key" = v.key and i."claim_token" = v.claim_token
    returning i."key"`,
};

/**
 * The issuance ledger (no secrets). Every transition is a compare-and-set on the row's claim token,
 * so of several replicas racing for one issuance exactly one proceeds.
 *
 * The claim and each transition are single SQL statements (`executeWrite`); a claim that finds the
 * row already there is `on conflict do nothing`, no error raised. On PostgreSQL the claims, and the
 * `assumed`/`delivered` transitions, of concurrent issuances go as one statement per kind and round
 * trip (see `StatementBatcher`), each row still its own compare-and-set. Reads go through the entity.
 */
@Injectable()
export class IssuanceLedger {
  private readonly claims: StatementBatcher<ClaimRow> | null;
  private readonly states: StatementBatcher<StateRow> | null;

  constructor(@InjectEntityManager('credential-broker') private readonly em: EntityManager) {
    const postgres = isPostgres(em);
    this.claims = postgres
      ? postgresBatcher<ClaimRow>(em, PG_CLAIM, (r) => r.key, (rows) => [
          rows.map((r) => r.key),
          rows.map((r) => r.request.runId),
          rows.map((r) => r.request.phase),
          rows.map((r) => r.request.integrationId),
          rows.map((r) => r.request.mode),
          rows.map((r) => r.request.sessionName),
          rows.map((r) => r.claimToken),
          isoColumn(rows.map((r) => r.claimedUntil)),
          isoColumn(rows.map((r) => r.request.now)),
        ])
      : null;
    this.states = postgres
      ? postgresBatcher<StateRow>(em, PG_STATE, (r) => r.key, (rows) => [
          rows.map((r) => r.key),
          rows.map((r) => r.claimToken),
          rows.map((r) => r.state),
          rows.map((r) => r.accessKeyId),
          isoColumn(rows.map((r) => r.expiresAt)),
          isoColumn(rows.map((r) => r.now)),
        ])
      : null;
  }

  async claim(request: ClaimRequest): Promise<ClaimOutcome> {
    const key = issuanceKey(request);
    const claimToken = randomUUID();
    const claimedUntil = new Date(request.now.getTime() + request.leaseMs);
    const inserted = await this.write(key, async () =>
      this.claims
        ? Number(await this.claims.submit({ key, request, claimToken, claimedUntil }))
        : executeWrite(this.em, CLAIM_SQL, [
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
    return this.recordState(k, claimToken, 'assumed', accessKeyId, expiresAt, now);
  }

  /** The sealed delivery is on JetStream. `accessKeyId`/`expiresAt` are the delivered session's. */
  recordDelivered(
    k: IssuanceKey,
    claimToken: string,
    accessKeyId: string | null,
    expiresAt: Date,
    now: Date,
  ): Promise<boolean> {
    return this.recordState(k, claimToken, 'delivered', accessKeyId, expiresAt, now);
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

  private recordState(
    k: IssuanceKey,
    claimToken: string,
    state: StateRow['state'],
    accessKeyId: string | null,
    expiresAt: Date,
    now: Date,
  ): Promise<boolean> {
    const states = this.states;
    if (!states) return this.transition(k, claimToken, { state, accessKeyId, expiresAt, updatedAt: now });
    const key = issuanceKey(k);
    return this.write(key, () => states.submit({ key, claimToken, state, accessKeyId, expiresAt, now }));
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
