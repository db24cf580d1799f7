import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CompiledPolicy } from '../policy/compile-policy';
import { newAccessKeyId, newSecretAccessKey, randomBytesPooled } from './credential-ids';

/** Temporary credentials issued by AssumeRole or AssumeRoleWithWebIdentity, with what they carry. */
export interface RoleSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  issuedAt: Date;
  expiration: Date;
  accountId: string;
  roleArn: string;
  roleName: string;
  roleId: string;
  sessionName: string;
  assumedRoleArn: string;
  assumedRoleId: string;
  sourceIdentity: string | null;
  tags: Record<string, string>;
  transitiveTagKeys: string[];
  /** Issued to a caller that itself used assumed-role credentials (role chaining). */
  chained: boolean;
  via: 'AssumeRole' | 'AssumeRoleWithWebIdentity';
  webIdentity: { providerArn: string; subject: string; audience: string } | null;
  /** Session policies (Policy / PolicyArns); null when none were passed. */
  sessionPolicies: CompiledPolicy[] | null;
}

export type NewSession = Omit<RoleSession, 'accessKeyId' | 'secretAccessKey' | 'sessionToken'>;

const TOKEN_VERSION = 1;
const RANDOM_BYTES = 180;
const MAC_BYTES = 16;

/**
 * Live temporary credentials by access key id. A session token is long random bytes plus its
 * expiry, bound to the key id by an HMAC under this store's key, so a token can be recognised as
 * expired after its session was swept from memory (AWS answers ExpiredToken, not an unknown key).
 */
export class SessionStore {
  private readonly sessions = new Map<string, RoleSession>();

  constructor(readonly tokenKey: Buffer = randomBytes(32)) {}

  issue(input: NewSession): RoleSession {
    const accessKeyId = newAccessKeyId('ASIA');
    const session: RoleSession = {
      ...input,
      accessKeyId,
      secretAccessKey: newSecretAccessKey(),
      sessionToken: this.mintToken(accessKeyId, input.expiration),
    };
    this.sessions.set(accessKeyId, session);
    return session;
  }

  restore(session: RoleSession): void {
    this.sessions.set(session.accessKeyId, session);
  }

  get(accessKeyId: string): RoleSession | undefined {
    return this.sessions.get(accessKeyId);
  }

  get size(): number {
    return this.sessions.size;
  }

  all(): IterableIterator<RoleSession> {
    return this.sessions.values();
  }

  /** The expiry a token of ours carries for this key id, or null when the token is not ours. */
  tokenExpiry(accessKeyId: string, token: string): Date | null {
    const bytes = Buffer.from(token, 'base64');
    if (bytes.length !== 5 + RANDOM_BYTES + MAC_BYTES || bytes[0] !== TOKEN_VERSION) return null;
    const body = bytes.subarray(0, bytes.length - MAC_BYTES);
    const mac = this.mac(accessKeyId, body);
    if (!timingSafeEqual(mac, bytes.subarray(bytes.length - MAC_BYTES))) return null;
    return new Date(body.readUInt32BE(1) * 1000);
  }

  /** Forgets sessions that expired before `now`; their tokens still read as expired. */
  sweep(now: Date): number {
    let removed = 0;
    for (const [id, s] of this.sessions) {
      if (s.expiration <= now) {
        this.sessions.delete(id);
        removed++;
      }
    }
    return removed;
  }

  private mintToken(accessKeyId: string, expiration: Date): string {
    const body = Buffer.alloc(5 + RANDOM_BYTES);
    body[0] = TOKEN_VERSION;
    body.writeUInt32BE(Math.floor(expiration.getTime() / 1000), 1);
    randomBytesPooled(RANDOM_BYTES).copy(body, 5);
    return Buffer.concat([body, this.mac(accessKeyId, body)]).toString('base64');
  }

  private mac(accessKeyId: string, body: Buffer): Buffer {
    return createHmac('sha256', this.tokenKey)
      .update(accessKeyId)
      .update(body)
      .digest()
      .subarray(0, MAC_BYTES);
  }
}
