import { parseExternalId } from './external-id.format';
import { looksLikeRuntrailSession } from './role-session-name.format';
import {
  foreignTrailSourceExternalId,
  trailReaderSessionName,
  trailSourceExternalId,
  trailSourcePermissionStatements,
  trailSourceTrustStatement,
} from './trail-source.format';

const sourceId = '01HND497T9JKR76MR3KA2CDJHP';
const source = { id: sourceId, account: 'acme', roleArn: 'arn:aws:iam::222222222222:role/trail-reader' };

describe('trail source identity formats', () => {
  it('makes <account>@trail-source@<sourceId>, never an integration external id', () => {
    const id = trailSourceExternalId({ account: 'acme', sourceId });
    expect(id).toBe(`acme@trail-source@${sourceId}`);
    expect(parseExternalId(id)).toBeNull();
    expect(foreignTrailSourceExternalId(sourceId)).toBe(`runtrail-foreign-tenant@trail-source@${sourceId}`);
  });

  it('refuses a source id that is not a ULID, naming it', () => {
    expect(() => trailSourceExternalId({ account: 'acme', sourceId: 'x' })).toThrow(/sourceId/);
  });

  it("names the reader's session runtrail-audit@<account>, which is not a run's session", () => {
    expect(trailReaderSessionName('acme')).toBe('runtrail-audit@acme');
    expect(looksLikeRuntrailSession(trailReaderSessionName('acme'))).toBe(false);
  });

  it('trusts the platform account with exactly the source external id', () => {
    expect(trailSourceTrustStatement({ source, platformAccountId: '111111111111' })).toEqual({
      Sid: `RuntrailTrail${sourceId}`,
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::111111111111:root' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'sts:ExternalId': `acme@trail-source@${sourceId}` } },
    });
  });

  it("before the source is saved, trusts any of the account's trail-source ids (a retried POST gets a new id)", () => {
    expect(trailSourceTrustStatement({ source, platformAccountId: '111111111111', anySourceOfAccount: true })['Condition']).toEqual({
      StringLike: { 'sts:ExternalId': 'acme@trail-source@*' },
    });
  });

  it('asks for LookupEvents, and S3 read on the prefix only when a bucket is given', () => {
    expect(trailSourcePermissionStatements({ source }).map((s) => s['Action'])).toEqual(['cloudtrail:LookupEvents']);
    const s3 = trailSourcePermissionStatements({ source: { ...source, bucket: 'trails', prefix: 'org/' } });
    expect(s3.slice(1)).toEqual([
      expect.objectContaining({ Action: 's3:GetObject', Resource: 'arn:aws:s3:::trails/org/*' }),
      expect.objectContaining({ Action: 's3:ListBucket', Resource: 'arn:aws:s3:::trails', Condition: { StringLike: { 's3:prefix': 'org/*' } } }),
    ]);
  });
});
