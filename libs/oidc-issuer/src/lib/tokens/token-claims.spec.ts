import { generateSealingKeyPair } from '@runtrail/sealing';
import { AWS_TAGS_CLAIM } from './aws-tags.claim';
import { AWS_SOURCE_IDENTITY_CLAIM, buildTokenClaims, type IssueTokenInput } from './token-claims';

const context = { issuer: 'https://rt.example.com/oidc/acme', audience: 'sts.amazonaws.com', issuedAt: 1_800_000_000, lifetimeSeconds: 3600, jti: 'j-1' };

async function request(overrides: Partial<IssueTokenInput> = {}): Promise<IssueTokenInput> {
  return {
    account: 'acme',
    spaceId: 'root',
    callerType: 'stack',
    callerId: '01HZY1V6QK3M7W3X9T2B5C8D4E',
    callerSlug: 'oidc-is-awesome',
    runType: 'TRACKED',
    runId: '01DSJ63P40BAZY4VW8BXXG7M4K',
    scope: 'write',
    sourceIdentity: true,
    replyKey: (await generateSealingKeyPair()).publicJwk,
    ...overrides,
  };
}

describe('buildTokenClaims', () => {
  it('sets the registered, custom and AWS claims', async () => {
    const { claims, droppedTags } = buildTokenClaims(await request({ sessionTags: { run: '01DSJ63P40BAZY4VW8BXXG7M4K' } }), context);
    expect(claims).toEqual({
      iss: 'https://rt.example.com/oidc/acme',
      sub: 'space:root:stack:oidc-is-awesome:run_type:TRACKED:scope:write',
      aud: 'sts.amazonaws.com',
      iat: 1_800_000_000,
      nbf: 1_800_000_000,
      exp: 1_800_003_600,
      jti: 'j-1',
      spaceId: 'root',
      callerType: 'stack',
      callerSlug: 'oidc-is-awesome',
      callerId: '01HZY1V6QK3M7W3X9T2B5C8D4E',
      runType: 'TRACKED',
      runId: '01DSJ63P40BAZY4VW8BXXG7M4K',
      scope: 'write',
      [AWS_TAGS_CLAIM]: { principal_tags: { run: ['01DSJ63P40BAZY4VW8BXXG7M4K'] }, transitive_tag_keys: ['run'] },
      [AWS_SOURCE_IDENTITY_CLAIM]: '01DSJ63P40BAZY4VW8BXXG7M4K',
    });
    expect(droppedTags).toEqual([]);
  });

  it("matches seed 003's example condition *:stack:oidc-is-awesome:* in a Spacelift-shaped space", async () => {
    const { claims } = buildTokenClaims(await request({ spaceId: 'production-01HND497T9JKR76MR3KA2CDJHP' }), context);
    expect(claims.sub).toBe('space:production-01HND497T9JKR76MR3KA2CDJHP:stack:oidc-is-awesome:run_type:TRACKED:scope:write');
  });

  it('puts the callerId where the slug goes for a requester that sends no slug, and no callerSlug claim', async () => {
    const { callerSlug: _slug, ...old } = await request();
    const { claims } = buildTokenClaims(old, context);
    expect(claims.sub).toBe('space:root:stack:01HZY1V6QK3M7W3X9T2B5C8D4E:run_type:TRACKED:scope:write');
    expect(claims).not.toHaveProperty('callerSlug');
  });

  it("renders the account's subject template and omits what was not asked for", async () => {
    const { claims } = buildTokenClaims(await request({ subjectTemplate: 'acme:{callerType}:{callerId}:{runId}', sourceIdentity: false }), context);
    expect(claims.sub).toBe('acme:stack:01HZY1V6QK3M7W3X9T2B5C8D4E:01DSJ63P40BAZY4VW8BXXG7M4K');
    expect(claims).not.toHaveProperty([AWS_SOURCE_IDENTITY_CLAIM]);
    expect(claims).not.toHaveProperty([AWS_TAGS_CLAIM]);
  });

  it('refuses a template with an unknown placeholder', async () => {
    expect(buildTokenClaims.bind(null, await request({ subjectTemplate: '{account}:{callerId}' }), context)).toThrow(/unknown placeholder \{account\}/);
  });
});
