import { Logger } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import { compactVerify, importJWK, SignJWT } from 'jose';
import { databaseOptionsFor, runMigrations } from '@runtrail/persistence';
import { describeEachDatabase } from '@runtrail/testing';
import { ManualClock } from '../../spec/manual.clock';
import { issuerEnv, newKek } from '../../spec/issuer-env.fixture';
import { oidcIssuerConfig, type OidcIssuerConfig } from '../config/oidc-issuer.config';
import { oidcIssuerPersistence } from '../oidc-issuer.persistence';
import { KeyRotationService } from './key-rotation.service';
import { SigningKeyCipher } from './signing-key.cipher';
import { generateSigningKey } from './signing-key.generator';
import { SigningKeyRing } from './signing-key.ring';
import { SigningKeyStore } from './signing-key.store';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

interface Row {
  kid: string;
  alg: string;
  status: string;
  encrypted_private_key: string;
}

interface MacRow {
  kid: string;
  integrity_mac: string | null;
}

/**
 * One replica of the issuer's key management, wired by hand: its own ORM (connection), store, ring
 * and rotation service, as a separate process would have. (Nest's MikroORM module allows one ORM
 * per context name per process, so two replicas cannot both be Nest apps here.)
 */
class Replica {
  private constructor(
    private readonly orm: MikroORM,
    readonly config: OidcIssuerConfig,
    readonly ring: SigningKeyRing,
    readonly rotation: KeyRotationService,
  ) {}

  static async start(vars: Record<string, string>, clock: ManualClock): Promise<Replica> {
    const env = issuerEnv(vars);
    const config = oidcIssuerConfig(env);
    const orm = await MikroORM.init(databaseOptionsFor({ ...oidcIssuerPersistence, databaseUrl: env.DATABASE_URL }));
    await runMigrations(orm);
    const ring = new SigningKeyRing(clock);
    const rotation = new KeyRotationService(new SigningKeyStore(orm.em), ring, new SigningKeyCipher(config.kek), config, clock, false);
    await rotation.onApplicationBootstrap();
    return new Replica(orm, config, ring, rotation);
  }

  get retentionMs(): number {
    return this.config.schedule.retentionSeconds * 1000;
  }

  async rows(): Promise<Row[]> {
    return this.orm.em.getConnection().execute<Row[]>('select kid, alg, status, encrypted_private_key from oidc_signing_key order by created_at');
  }

  /** Writes to the table as someone with database access but without the KEK would. */
  async sql(query: string, params: unknown[] = []): Promise<void> {
    await this.orm.em.getConnection().execute(query, params);
  }

  async macs(): Promise<Record<string, string | null>> {
    const rows: MacRow[] = await this.orm.em.getConnection().execute('select kid, integrity_mac from oidc_signing_key');
    return Object.fromEntries(rows.map((r) => [r.kid, r.integrity_mac]));
  }

  /** Signs with the ring's active key and verifies with the published JWK of the same kid. */
  async signsAndVerifies(): Promise<boolean> {
    const { kid, alg, privateKey } = this.ring.activeKey();
    const jwt = await new SignJWT({ probe: true }).setProtectedHeader({ alg, kid }).sign(privateKey);
    const jwk = this.ring.publishedKeys().find((k) => k.kid === kid);
    if (!jwk) return false;
    await compactVerify(jwt, await importJWK(jwk, alg));
    return true;
  }

  close(): Promise<void> {
    return this.orm.close();
  }
}

/** The kids named by error log lines, one entry per line. */
function loggedKids(errors: jest.SpyInstance, kids: string[]): string[] {
  return errors.mock.calls.flatMap(([message]) => kids.filter((kid) => String(message).includes(kid)));
}

/** Copies a row under a new kid with the given public JWK and MAC, everything else as stored. */
const COPY_ROW =
  'insert into oidc_signing_key (kid, alg, status, public_jwk, encrypted_private_key, kek_id, integrity_mac, created_at, activated_at, retired_at, unpublish_at) ' +
  'select ?, alg, status, ?, encrypted_private_key, kek_id, ?, created_at, activated_at, retired_at, unpublish_at from oidc_signing_key where kid = ?';

describeEachDatabase('oidc-issuer signing keys', (db) => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(true));
  const started: Replica[] = [];
  async function replica(vars: Record<string, string>, clock: ManualClock): Promise<Replica> {
    const r = await Replica.start(vars, clock);
    started.push(r);
    return r;
  }
  afterEach(async () => {
    for (const r of started.splice(0)) await r.close();
  });

  it('creates one active key on first start, stores it encrypted, and reloads it after a restart', async () => {
    const databaseUrl = await db.newDatabaseUrl('keys');
    const vars = { DATABASE_URL: databaseUrl, OIDC_KEK: newKek() };
    const clock = new ManualClock();
    const first = await replica(vars, clock);
    const [row] = await first.rows();
    expect(await first.rows()).toHaveLength(1);
    expect(row).toMatchObject({ status: 'active', alg: 'ES256' });
    expect(first.ring.activeKey().kid).toBe(row!.kid);

    const cipher = new SigningKeyCipher(Buffer.from(vars.OIDC_KEK, 'base64'));
    const privateJwk = JSON.parse(cipher.decrypt(row!.encrypted_private_key, row!.kid, 'ES256', cipher.kekId)) as { d: string };
    expect(privateJwk.d).toMatch(/^[\w-]{43}$/);
    expect(JSON.stringify(await first.rows())).not.toContain(privateJwk.d);
    expect(JSON.stringify(first.ring.publishedKeys())).not.toContain(privateJwk.d);

    await first.close();
    started.pop();
    const again = await replica(vars, clock);
    expect((await again.rows()).map((r) => r.kid)).toEqual([row!.kid]);
    expect(again.ring.activeKey().kid).toBe(row!.kid);
  });

  it('refuses to sign, and says which KEK is wrong, when started with another OIDC_KEK', async () => {
    const databaseUrl = await db.newDatabaseUrl('kek');
    const clock = new ManualClock();
    await replica({ DATABASE_URL: databaseUrl, OIDC_KEK: newKek() }, clock);
    const wrong = await replica({ DATABASE_URL: databaseUrl, OIDC_KEK: newKek() }, clock);
    expect(await wrong.ring.isReady()).toBe(false);
    expect(() => wrong.ring.activeKey()).toThrow(/no active signing key/);
    await expect(wrong.rotation.tick()).rejects.toThrow(/encrypted with another OIDC_KEK/);
  });

  it('never publishes nor signs with a row written without the KEK, and names each refused kid once in the log', async () => {
    const databaseUrl = await db.newDatabaseUrl('tamper');
    const vars = { DATABASE_URL: databaseUrl, OIDC_KEK: newKek(), OIDC_ROTATION_INTERVAL: '1h' };
    const clock = new ManualClock(Date.now() - 30 * DAY);
    const a = await replica(vars, clock);
    for (const step of [50 * MIN, 10 * MIN, 50 * MIN]) {
      clock.advance(step);
      await a.rotation.tick();
    }
    const [retired, active, next] = await a.rows();
    expect([retired?.status, active?.status, next?.status]).toEqual(['retired', 'active', 'next']);
    const macs = await a.macs();

    const foreign = await generateSigningKey('ES256');
    const renamed = await generateSigningKey('ES256');
    // A foreign public key passed off as a retired key, with the active row's MAC.
    await a.sql(COPY_ROW, [foreign.kid, JSON.stringify(foreign.publicJwk), macs[active!.kid], retired!.kid]);
    // An existing row under another kid; another row's public key swapped for a foreign one.
    await a.sql(`update oidc_signing_key set kid = ? where kid = ?`, [renamed.kid, retired!.kid]);
    await a.sql(`update oidc_signing_key set public_jwk = ? where kid = ?`, [JSON.stringify({ ...foreign.publicJwk, kid: next!.kid }), next!.kid]);
    const errors = jest.spyOn(Logger.prototype, 'error');
    try {
      const other = await replica(vars, clock);
      // The active row relabelled with another algorithm: nothing may sign until it is put back.
      await a.sql(`update oidc_signing_key set alg = 'RS256' where kid = ?`, [active!.kid]);
      await expect(a.rotation.tick()).rejects.toThrow(`no key can sign: signing key ${active!.kid} fails its integrity check`);
      expect(a.ring.publishedKeys()).toEqual([]);
      expect(() => a.ring.activeKey()).toThrow(/no active signing key/);
      await a.sql(`update oidc_signing_key set alg = 'ES256' where kid = ?`, [active!.kid]);

      clock.advance(20 * MIN);
      for (const r of [a, other]) {
        await r.rotation.tick();
        await r.rotation.tick();
        expect(r.ring.publishedKeys().map((k) => k.kid)).toEqual([active!.kid]);
        expect(await r.signsAndVerifies()).toBe(true);
      }
      const tampered = [foreign.kid, renamed.kid, next!.kid];
      // Each replica names each refused row once; the active row once, while it was relabelled.
      expect(loggedKids(errors, tampered).sort()).toEqual([...tampered, ...tampered].sort());
      expect(loggedKids(errors, [active!.kid])).toEqual([active!.kid]);
      for (const [message] of errors.mock.calls) expect(String(message)).not.toMatch(/"d"|v1\.[\w-]+\./);
    } finally {
      errors.mockRestore();
    }
  });

  it('seals rows older than the MAC column only when their private key proves them', async () => {
    const databaseUrl = await db.newDatabaseUrl('legacy');
    const vars = { DATABASE_URL: databaseUrl, OIDC_KEK: newKek(), OIDC_ROTATION_INTERVAL: '1d' };
    const clock = new ManualClock(Date.now() - 30 * DAY);
    const a = await replica(vars, clock);
    clock.advance(DAY - 10 * MIN);
    await a.rotation.tick();
    const [active, next] = await a.rows();
    const macs = await a.macs();
    const foreign = await generateSigningKey('ES256');
    await a.sql(`update oidc_signing_key set integrity_mac = null`);
    await a.sql(`update oidc_signing_key set public_jwk = ? where kid = ?`, [JSON.stringify({ ...foreign.publicJwk, kid: next!.kid }), next!.kid]);
    await a.close();
    started.splice(started.indexOf(a), 1);

    const errors = jest.spyOn(Logger.prototype, 'error');
    try {
      const again = await replica(vars, clock);
      expect(await again.macs()).toEqual({ [active!.kid]: macs[active!.kid], [next!.kid]: null });
      expect(again.ring.publishedKeys().map((k) => k.kid)).toEqual([active!.kid]);
      expect(await again.signsAndVerifies()).toBe(true);
      expect(loggedKids(errors, [active!.kid, next!.kid])).toEqual([next!.kid]);
      // The refused next key is never activated, whatever the schedule says.
      clock.advance(DAY);
      await again.rotation.tick();
      expect(again.ring.activeKey().kid).toBe(active!.kid);
    } finally {
      errors.mockRestore();
    }
  });

  it('rotates exactly once through every transition while two replicas race each other', async () => {
    const databaseUrl = await db.newDatabaseUrl('race');
    const vars = { DATABASE_URL: databaseUrl, OIDC_KEK: newKek(), OIDC_ROTATION_INTERVAL: '1d' };
    const clock = new ManualClock(Date.now() - 30 * DAY);
    const a = await replica(vars, clock);
    const b = await replica(vars, clock);
    const race = async () => {
      for (let i = 0; i < 3; i++) await Promise.all([a.rotation.tick(), b.rotation.tick(), a.rotation.tick(), b.rotation.tick()]);
    };
    const statuses = async () => (await a.rows()).map((r) => r.status);

    await race();
    expect(await statuses()).toEqual(['active']);
    const [first] = await a.rows();

    clock.advance(DAY - 10 * MIN);
    await race();
    expect(await statuses()).toEqual(['active', 'next']);
    const [, second] = await a.rows();
    // Published ahead, not yet signing, on both replicas.
    for (const r of [a, b]) {
      expect(r.ring.activeKey().kid).toBe(first!.kid);
      expect(r.ring.publishedKeys().map((k) => k.kid)).toEqual([first!.kid, second!.kid]);
    }

    clock.advance(10 * MIN);
    await race();
    expect(await statuses()).toEqual(['retired', 'active']);
    for (const r of [a, b]) expect(r.ring.activeKey().kid).toBe(second!.kid);

    clock.advance(a.retentionMs - 1);
    await race();
    expect((await a.rows()).map((r) => r.kid)).toContain(first!.kid);
    clock.advance(1);
    await race();
    expect((await a.rows()).map((r) => r.kid)).not.toContain(first!.kid);
    for (const r of [a, b]) expect(r.ring.publishedKeys().map((k) => k.kid)).not.toContain(first!.kid);
  });

  it('moves to RS256 through a published next key when OIDC_SIGNING_ALG changes', async () => {
    const databaseUrl = await db.newDatabaseUrl('alg');
    const kek = newKek();
    const clock = new ManualClock();
    const es = await replica({ DATABASE_URL: databaseUrl, OIDC_KEK: kek }, clock);
    const [esKey] = await es.rows();
    await es.close();
    started.pop();

    const rs = await replica({ DATABASE_URL: databaseUrl, OIDC_KEK: kek, OIDC_SIGNING_ALG: 'RS256' }, clock);
    expect((await rs.rows()).map((r) => [r.alg, r.status])).toEqual([
      ['ES256', 'active'],
      ['RS256', 'next'],
    ]);
    expect(rs.ring.activeKey().alg).toBe('ES256');
    clock.advance(10 * MIN);
    await rs.rotation.tick();
    expect(rs.ring.activeKey().alg).toBe('RS256');
    const jwks = rs.ring.publishedKeys();
    expect(jwks.map((k) => [k.kid === esKey!.kid, k.kty, k.alg])).toEqual([
      [false, 'RSA', 'RS256'],
      [true, 'EC', 'ES256'],
    ]);
    for (const key of jwks) for (const p of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(p);
  });
});
