import { Inject, Injectable, Logger } from '@nestjs/common';
import type { IssueTokenReply } from '@runtrail/contracts';
import { SealingSession } from '@runtrail/sealing';
import { randomUUID } from 'node:crypto';
import { Clock } from '../config/clock';
import { OidcIssuerConfig } from '../config/oidc-issuer.config';
import { SigningKeyRing } from '../keys/signing-key.ring';
import { signCompactJws } from './jws.signer';
import { buildTokenClaims, type IssueTokenInput } from './token-claims';

/**
 * How long one ephemeral key serves one reply key. A broker keeps its reply key for about as long
 * (`RotatingSealingKeyPair`), so its tokens cost one key agreement per window instead of one each;
 * a one-shot reply key (the verifier, an older broker) gets a fresh ephemeral key as before.
 */
export const REPLY_SESSION_TTL_MS = 5 * 60_000;

/**
 * Issues one token: claims for the account's issuer and audience, signed with the active key
 * (Node's crypto, `signCompactJws`),
 * sealed to the requester's `replyKey` (standard ECDH-ES+A256KW JWE; the ephemeral key is kept per
 * reply key for `REPLY_SESSION_TTL_MS`, see `SealingSession`). The sealed content is the compact JWT as a JSON
 * string (`open(sealedToken, key, z.string())`). The token is never logged or returned in clear.
 */
@Injectable()
export class IssueTokenUseCase {
  private readonly log = new Logger('OidcIssueToken');
  private readonly replies = new SealingSession({ ttlMs: REPLY_SESSION_TTL_MS });

  constructor(
    private readonly ring: SigningKeyRing,
    private readonly config: OidcIssuerConfig,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /**
   * The token lives `request.lifetimeSeconds` (the broker asks for its session's length, cut to the
   * run's remaining lifetime), or `OIDC_TOKEN_LIFETIME`, and never more than `OIDC_MAX_TOKEN_LIFETIME`:
   * a longer request gets the maximum (the reply's `expiresAt` says so) rather than a refusal, so a
   * long integration still gets its token where the operator lowered the maximum.
   *
   * @throws RuntrailError `VALIDATION_FAILED` for a bad subject template or bad session tags;
   *   `UNAVAILABLE` when no fresh signing key is loaded.
   */
  async execute(request: IssueTokenInput): Promise<IssueTokenReply> {
    const lifetimeSeconds = Math.min(request.lifetimeSeconds ?? this.config.tokenLifetimeSeconds, this.config.maxTokenLifetimeSeconds);
    const key = this.ring.activeKey();
    const issuer = this.config.issuerOf(request.account);
    const audience = request.audience ?? this.config.defaultAudience;
    const issuedAt = Math.floor(this.clock.now().getTime() / 1000);
    const { claims, droppedTags } = buildTokenClaims(request, { issuer, audience, issuedAt, lifetimeSeconds, jti: randomUUID() });
    if (droppedTags.length) {
      this.log.warn(`run ${request.runId}: session tags ${droppedTags.join(', ')} left out of the token to stay within AWS's size limit`);
    }
    const token = signCompactJws(JSON.stringify(claims), key);
    return {
      sealedToken: await this.replies.seal(token, request.replyKey),
      issuer,
      audience,
      subject: claims.sub,
      kid: key.kid,
      expiresAt: new Date(claims.exp * 1000).toISOString(),
    };
  }
}
