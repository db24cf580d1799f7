import { foreignExternalId, RESERVED_ACCOUNT_SLUGS } from './external-id.format';
import { platformTrustStatement } from './trust-statement.format';

const integration = {
  id: '01HND497T9JKR76MR3KA2CDJHP',
  account: 'acme',
  roleArn: 'arn:aws-cn:iam::123456789012:role/deploy',
  sourceIdentity: false,
  sessionTagging: false,
};

describe('platformTrustStatement', () => {
  it("is the seed's statement when no session feature is on: sts:AssumeRole alone, exact ids", () => {
    expect(
      platformTrustStatement({
        integration,
        platformAccountId: '111111111111',
        externalIds: ['acme@x@a@read'],
      }),
    ).toEqual({
      Sid: 'Runtrail01HND497T9JKR76MR3KA2CDJHP',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws-cn:iam::111111111111:root' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'sts:ExternalId': 'acme@x@a@read' } },
    });
  });

  it('adds only the actions the integration uses, and allows any caller of the integration without ids', () => {
    const statement = platformTrustStatement({
      integration: { ...integration, sourceIdentity: true, sessionTagging: true },
      platformAccountId: '111111111111',
      externalIds: [],
    });
    expect(statement['Action']).toEqual(['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession']);
    expect(statement['Condition']).toEqual({
      StringLike: { 'sts:ExternalId': 'acme@01HND497T9JKR76MR3KA2CDJHP@*' },
    });
  });
});

describe('foreignExternalId', () => {
  it('belongs to a reserved account slug, so no tenant can own it', () => {
    const id = foreignExternalId({ integrationId: integration.id, callerSlug: 'stack-a', scope: 'read' });
    expect(RESERVED_ACCOUNT_SLUGS).toContain(id.split('@')[0]);
    expect(id).toBe(`runtrail-foreign-tenant@${integration.id}@stack-a@read`);
  });
});
