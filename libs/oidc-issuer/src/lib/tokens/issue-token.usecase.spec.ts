import { generateSealingKeyPair, open, type SealingKeyPair } from '@runtrail/sealing';
import { decodeJwt, generateKeyPair } from 'jose';
import { z } from 'zod';
import { APPLY_RUN } from '../../spec/issuer-app.harness';
import { issuerEnv } from '../../spec/issuer-env.fixture';
import { ManualClock } from '../../spec/manual.clock';
import { oidcIssuerConfig } from '../config/oidc-issuer.config';
import { SigningKeyRing } from '../keys/signing-key.ring';
import { IssueTokenUseCase } from './issue-token.usecase';

describe('IssueTokenUseCase lifetime', () => {
  let replyKey: SealingKeyPair;
  let usecase: IssueTokenUseCase;

  beforeAll(async () => {
    const clock = new ManualClock(new Date('2026-12-01T10:00:00Z'));
    const ring = new SigningKeyRing(clock);
    const { privateKey } = await generateKeyPair('ES256');
    ring.replace({ active: { kid: 'k1', alg: 'ES256', privateKey }, published: [] });
    const config = oidcIssuerConfig(issuerEnv({ OIDC_TOKEN_LIFETIME: '1h', OIDC_MAX_TOKEN_LIFETIME: '2h' }));
    usecase = new IssueTokenUseCase(ring, config, clock);
    replyKey = await generateSealingKeyPair();
  });

  async function lifetimeOf(lifetimeSeconds?: number): Promise<number> {
    const reply = await usecase.execute({
      ...APPLY_RUN,
      sourceIdentity: true,
      lifetimeSeconds,
      replyKey: replyKey.publicJwk,
    });
    const claims = decodeJwt(await open(reply.sealedToken, replyKey.privateKey, z.string()));
    expect(new Date(claims.exp! * 1000).toISOString()).toBe(reply.expiresAt);
    return claims.exp! - claims.iat!;
  }

  it('lives as long as asked, OIDC_TOKEN_LIFETIME when not asked, and at most OIDC_MAX_TOKEN_LIFETIME', async () => {
    expect(await lifetimeOf(900)).toBe(900);
    expect(await lifetimeOf()).toBe(3600);
    expect(await lifetimeOf(10_800)).toBe(7200);
  });
});
