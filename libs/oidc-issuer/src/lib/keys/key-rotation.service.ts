import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { RuntrailError } from '@runtrail/contracts';
import { importJWK } from 'jose';
import { Clock } from '../config/clock';
import { KEY_REFRESH_SECONDS, OidcIssuerConfig } from '../config/oidc-issuer.config';
import { KeyIntegrityCheck } from './key-integrity.check';
import { planRotation, type RotationStep } from './rotation.plan';
import { SigningKeyCipher } from './signing-key.cipher';
import { generateSigningKey } from './signing-key.generator';
import { SigningKeyRing, type ActiveSigningKey } from './signing-key.ring';
import { SigningKeyStore, type PublishedKey } from './signing-key.store';
import type { SigningAlg } from './signing-alg';

/** Whether the rotation service checks on its own timer (tests and benches drive it by hand). */
export const ROTATION_TIMER = Symbol('OIDC_ROTATION_TIMER');

const STATUS_ORDER = { active: 0, next: 1, retired: 2 } as const;

/**
 * Runs the key schedule on every replica: every {@link KEY_REFRESH_SECONDS}/2 it reads the keys,
 * applies the transitions {@link planRotation} says are due (each a compare-and-set, so replicas
 * racing each other change a key once), and refreshes this replica's {@link SigningKeyRing} with
 * the keys that pass the {@link KeyIntegrityCheck} (a refused key is never published, activated or
 * used to sign).
 */
@Injectable()
export class KeyRotationService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('OidcKeyRotation');
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private lastDeferral: string | undefined;
  private readonly integrity: KeyIntegrityCheck;

  constructor(
    private readonly store: SigningKeyStore,
    private readonly ring: SigningKeyRing,
    private readonly cipher: SigningKeyCipher,
    private readonly config: OidcIssuerConfig,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(ROTATION_TIMER) private readonly useTimer: boolean,
  ) {
    this.integrity = new KeyIntegrityCheck(store, cipher, this.log);
  }

  /** Loads (or on first start creates) the signing key before the service reports ready. */
  async onApplicationBootstrap(): Promise<void> {
    await this.tick().catch((error: unknown) => this.log.error(`loading signing keys failed: ${describe(error)}`));
    if (!this.useTimer) return;
    this.timer = setInterval(() => {
      this.tick().catch((error: unknown) => this.log.error(`key rotation check failed: ${describe(error)}`));
    }, (KEY_REFRESH_SECONDS * 1000) / 2);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** One check: apply due transitions, then refresh the ring. Concurrent calls share one run. */
  tick(): Promise<void> {
    this.running ??= this.check().finally(() => (this.running = null));
    return this.running;
  }

  private async check(): Promise<void> {
    const now = this.clock.now();
    const keys = await this.store.listPublished();
    const refused = await this.integrity.refused(keys);
    // Refused rows still occupy their status (the unique indexes see them), so the plan sees them,
    // but one is never activated; a refused active key is retired by the next rotation.
    const steps = planRotation(keys, now, this.config.schedule).filter((s) => s.kind !== 'activate' || !refused.has(s.kid));
    for (const step of steps) await this.apply(step, now);
    if (!steps.some((s) => s.kind !== 'deferred')) return this.refresh(keys, refused);
    const current = await this.store.listPublished();
    await this.refresh(current, await this.integrity.refused(current));
  }

  private async apply(step: RotationStep, now: Date): Promise<void> {
    switch (step.kind) {
      case 'unpublish':
        if (await this.store.unpublish(step.kid, now)) this.log.log(`signing key ${step.kid} unpublished: every token it signed has expired`);
        return;
      case 'discard-next':
        if (await this.store.discardNext(step.kid)) this.log.log(`next signing key ${step.kid} discarded: OIDC_SIGNING_ALG changed`);
        return;
      case 'create':
        return this.create(step.status, step.alg, now);
      case 'activate':
        if (await this.store.activate(step.kid, step.retire, now, step.unpublishAt)) {
          const retired = step.retire ? `; ${step.retire} retired, published until ${step.unpublishAt.toISOString()}` : '';
          this.log.log(`signing key ${step.kid} is now active${retired}`);
        }
        return;
      case 'deferred':
        if (this.lastDeferral !== step.reason) this.log.warn(step.reason);
        this.lastDeferral = step.reason;
        return;
    }
  }

  private async create(status: 'active' | 'next', alg: SigningAlg, now: Date): Promise<void> {
    const key = await generateSigningKey(alg);
    const created = await this.store.insert({
      kid: key.kid,
      alg,
      status,
      publicJwk: key.publicJwk,
      encryptedPrivateKey: this.cipher.encrypt(key.privateJwkJson, key.kid, alg),
      kekId: this.cipher.kekId,
      integrityMac: this.cipher.integrityMac(key.kid, alg, key.publicJwk),
      createdAt: now,
    });
    if (created) this.log.log(`signing key ${key.kid} (${alg}) created as ${status}${status === 'next' ? ', published ahead of use' : ''}`);
  }

  /** @throws RuntrailError `INTERNAL` with the reason when the active row is refused (nothing signs). */
  private async refresh(keys: PublishedKey[], refused: ReadonlyMap<string, string>): Promise<void> {
    const published = keys.filter((k) => !refused.has(k.kid)).sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status]);
    const activeRow = published.find((k) => k.status === 'active');
    let active: ActiveSigningKey | null = null;
    if (activeRow) {
      active = this.ring.cachedKey(activeRow.kid) ?? (await this.decrypt(activeRow.kid));
    }
    this.ring.replace({ active, published: published.map((k) => k.publicJwk) });
    const refusedActive = keys.find((k) => k.status === 'active' && refused.has(k.kid));
    if (refusedActive) throw new RuntrailError('INTERNAL', `no key can sign: ${refused.get(refusedActive.kid)}`);
  }

  private async decrypt(kid: string): Promise<ActiveSigningKey | null> {
    const row = await this.store.encryptedKey(kid);
    if (!row) return null;
    const json = this.cipher.decrypt(row.encryptedPrivateKey, row.kid, row.alg, row.kekId);
    try {
      const privateKey = await importJWK(JSON.parse(json) as Record<string, string>, row.alg, { extractable: false });
      if (privateKey instanceof Uint8Array) throw new TypeError('not an asymmetric key');
      return { kid: row.kid, alg: row.alg, privateKey };
    } catch {
      // No cause: the parse/import error could quote key material.
      throw new RuntrailError('INTERNAL', `stored signing key ${kid} decrypted but is not a usable ${row.alg} private key`);
    }
  }
}

/** An error's code and message, never its cause chain (driver errors carry SQL parameters). */
function describe(error: unknown): string {
  if (error instanceof RuntrailError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.name : 'unknown error';
}
