import { Inject, Injectable, Logger } from '@nestjs/common';
import type { IssueTokenReply } from '@runtrail/contracts';
import { SealingSession } from '@runtrail/sealing';
import { randomUUID } from 'node:crypto';
import { Clock } from '../config/clock';
import { OidcIssuerConfig } from '../config/oidc-issuer.config';
import { SigningKeyRing } from '../keys/signing-key.ring';
import { signCompactJws } from './jws.signer';
import { buildTokenClaims, type IssueTokenInput, type TokenRequest } from './token-claims';

/**
 * How long one ephemeral key serves one reply key. A broker keeps its reply key for about as long
 * (`RotatingSealingKeyPair`), so its tokens cost one key agreement per window instead of one each;
 * a one-shot reply key (the verifier, an older broker) gets a fresh ephemeral key as before.
 */
export const REPLY_SESSION_TTL_MS = 5 * 60_000;

/** A token signed for one request, not yet sealed, and the rest of its reply. */
export interface SignedToken {
  /** The compact JWT: a bearer secret, never logged, never sent unsealed. */
  token: string;
  reply: Omit<IssueTokenReply, 'sealedToken'>;
}

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
    const { token, reply } = this.sign(request);
    return { sealedToken: await this.replies.seal(token, request.replyKey), ...reply };
  }

  /**
   * The signed token for `request` and what its reply says besides the sealed token, before it is
   * sealed (synchronous: `IssueTokenBatchUseCase` signs a batch, then seals it at once).
   *
   * @throws RuntrailError as `execute` does.
   */
  sign(request: TokenRequest): SignedToken {
    const lifetimeSeconds = Math.min(request.lifetimeSeconds ?? this.config.tokenLifetimeSeconds, this.config.maxTokenLifetimeSeconds);
    const key = this.ring.activeKey();
    const issuer = this.config.issuerOf(request.account);
    const audience = request.audience ?? this.config.defaultAudience;
    const issuedAt = Math.floor(this.clock.now().getTime() / 1000);
    const { claims, droppedTags } = buildTokenClaims(request, { issuer, audience, issuedAt, lifetimeSeconds, jti: randomUUID() });
    if (droppedTags.length) {
      this.log.warn(`run ${request.runId}: session tags ${droppedTags.join(', ')} left out of the token to stay within AWS's size limit`);
    }
    return {
      token: signCompactJws(JSON.stringify(claims), key),
      reply: { issuer, audience, subject: claims.sub, kid: key.kid, expiresAt: new Date(claims.exp * 1000).toISOString() },
    };
  }

  /**
   * Seals signed tokens to one reply key, each on its own (`SealingSession.sealEach`: own content
   * key and IV, the ephemeral key kept per reply key as `execute` keeps it).
   *
   * @throws RuntrailError `VALIDATION_FAILED` when `replyKey` is not a public P-256 key.
   */
  sealEach(tokens: readonly string[], replyKey: IssueTokenInput['replyKey']): Promise<string[]> {
    return this.replies.sealEach(tokens, replyKey);
  }

  /**
   * Seals a batch's tokens together, as one JWE whose content is the list (`null` where an item has
   * no token), to one reply key (the ephemeral key kept per reply key as `execute` keeps it).
   *
   * @throws RuntrailError `VALIDATION_FAILED` when `replyKey` is not a public P-256 key.
   */
  sealTogether(tokens: readonly (string | null)[], replyKey: IssueTokenInput['replyKey']): Promise<string> {
    return this.replies.seal(tokens, replyKey);
  }
}
