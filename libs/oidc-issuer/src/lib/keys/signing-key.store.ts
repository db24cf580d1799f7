import { Injectable } from '@nestjs/common';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import type { EntityManager } from '@mikro-orm/core';
import { InjectEntityManager, isUniqueViolation, toRuntrailError } from '@runtrail/persistence';
import type { PublicSigningJwk } from './public-jwk';
import type { KeyState } from './rotation.plan';
import { SigningKey } from './signing-key.entity';
import type { SigningAlg } from './signing-alg';

/** A stored key as read for planning and for the JWKS (no private material), not yet checked. */
export interface PublishedKey extends KeyState {
  publicJwk: PublicSigningJwk;
  kekId: string;
  /** Null on rows older than the column that no start has proved yet. */
  integrityMac: string | null;
}

/** A key's encrypted private half, as stored. */
export interface EncryptedPrivateKey {
  kid: string;
  alg: SigningAlg;
  encryptedPrivateKey: string;
  kekId: string;
}

/** A new key row, the private key already encrypted. */
export interface NewKeyRow extends EncryptedPrivateKey {
  publicJwk: PublicSigningJwk;
  integrityMac: string;
  status: 'active' | 'next';
  createdAt: Date;
}

/**
 * The `oidc_signing_key` table. Every write is a compare-and-set on the row's status (guarded by
 * the one-active/one-next unique indexes), and returns `false` when another replica got there first.
 */
@Injectable()
export class SigningKeyStore {
  constructor(@InjectEntityManager('oidc-issuer') private readonly em: EntityManager) {}

  /** Every stored key, newest first, without the encrypted private keys. */
  async listPublished(): Promise<PublishedKey[]> {
    const rows = await this.guard('signing keys', () =>
      this.em.fork().find(SigningKey, {}, { orderBy: { createdAt: 'desc' }, disableIdentityMap: true }),
    );
    return rows.map(({ kid, alg, status, publicJwk, kekId, integrityMac, createdAt, activatedAt, unpublishAt }) => ({
      kid,
      alg,
      status,
      publicJwk,
      kekId,
      integrityMac: integrityMac ?? null,
      createdAt,
      activatedAt: activatedAt ?? null,
      unpublishAt: unpublishAt ?? null,
    }));
  }

  /** The encrypted private key of `kid`, or null when the row is gone. */
  async encryptedKey(kid: string): Promise<EncryptedPrivateKey | null> {
    const row = await this.guard(`signing key ${kid}`, () =>
      this.em.fork().findOne(SigningKey, { kid }, { populate: ['encryptedPrivateKey'], disableIdentityMap: true }),
    );
    return row ? { kid: row.kid, alg: row.alg, encryptedPrivateKey: row.encryptedPrivateKey, kekId: row.kekId } : null;
  }

  /** Inserts a new key; `false` when another replica already created the `active`/`next` key. */
  async insert(row: NewKeyRow): Promise<boolean> {
    return this.write(`signing key ${row.kid}`, async () => {
      try {
        await this.em.fork().insert(SigningKey, {
          ...row,
          activatedAt: row.status === 'active' ? row.createdAt : null,
          retiredAt: null,
          unpublishAt: null,
        });
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    });
  }

  /** Stores the MAC of a row older than the column; `false` when it has one already. */
  async sealLegacy(kid: string, integrityMac: string): Promise<boolean> {
    const updated = await this.write(`signing key ${kid}`, () =>
      this.em.fork().nativeUpdate(SigningKey, { kid, integrityMac: null }, { integrityMac }),
    );
    return updated === 1;
  }

  /**
   * In one transaction: retires `retire` (if given) until `unpublishAt`, then activates `kid`. Both
   * updates only match rows still in the expected state, so of several replicas exactly one wins.
   */
  async activate(kid: string, retire: string | null, now: Date, unpublishAt: Date): Promise<boolean> {
    return this.write(`activation of signing key ${kid}`, () =>
      this.em.fork().transactional(async (tx) => {
        if (retire) {
          const retired = await tx.nativeUpdate(SigningKey, { kid: retire, status: 'active' }, { status: 'retired', retiredAt: now, unpublishAt });
          if (retired !== 1) return false;
        }
        const activated = await tx.nativeUpdate(SigningKey, { kid, status: 'next' }, { status: 'active', activatedAt: now });
        // Throwing rolls the retirement back; the sentinel is turned into `false` below.
        if (activated !== 1) throw LOST_RACE;
        return true;
      }),
    ).catch((error: unknown) => {
      if (error === LOST_RACE) return false;
      throw error;
    });
  }

  /** Deletes a retired key whose tokens have all expired. */
  async unpublish(kid: string, now: Date): Promise<boolean> {
    const deleted = await this.write(`signing key ${kid}`, () =>
      this.em.fork().nativeDelete(SigningKey, { kid, status: 'retired', unpublishAt: { $lte: now } }),
    );
    return deleted === 1;
  }

  /** Deletes a `next` key that never signed (its algorithm is no longer configured). */
  async discardNext(kid: string): Promise<boolean> {
    const deleted = await this.write(`signing key ${kid}`, () => this.em.fork().nativeDelete(SigningKey, { kid, status: 'next' }));
    return deleted === 1;
  }

  private async guard<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error === LOST_RACE) throw error;
      throw toRuntrailError(error, what);
    }
  }

  private write<T>(what: string, work: () => Promise<T>): Promise<T> {
    if (!(this.em.getDriver() instanceof BetterSqliteDriver)) return this.guard(what, work);
    const run = processWrites.then(() => this.guard(what, work));
    processWrites = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}

const LOST_RACE = Symbol('lost the activation race');

/**
 * The SQLite writes of this process, one after another. SQLite allows one writer per file and
 * better-sqlite3 waits for its lock synchronously, so a second writer in the same process (two
 * replicas in one test, or an embedding) would block the event loop the first one needs to commit.
 * Writes are rare (a few per rotation), so this costs nothing; across processes the database's own
 * locking and the compare-and-set updates apply.
 */
let processWrites: Promise<void> = Promise.resolve();
