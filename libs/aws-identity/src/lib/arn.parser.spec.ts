import fc from 'fast-check';
import { errorOf } from '../testing/error-of.helper';
import { arbAccount, arbCallerSlug, arbRoleArn, arbUlid } from '../testing/identity.arbitraries';
import { accountOfArn, assumedRoleArn, isPartition, partitionOf, roleNameOfArn } from './arn.parser';
import { parseRoleSessionName, roleSessionName } from './role-session-name.format';

const ASSUMED_ROLE_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/([\w+=,.@-]{2,64})$/;

describe('partitionOf', () => {
  it.each([
    ['arn:aws:iam::123456789012:role/deployer', 'aws'],
    ['arn:aws-cn:iam::123456789012:role/deployer', 'aws-cn'],
    ['arn:aws-us-gov:iam::123456789012:role/deployer', 'aws-us-gov'],
    ['arn:aws:s3:::bucket:with:colons', 'aws'],
  ])('reads the partition of %s', (arn, partition) => {
    expect(partitionOf(arn)).toBe(partition);
  });

  it('refuses an unsupported partition, naming it', () => {
    const error = errorOf(() => partitionOf('arn:aws-iso:iam::123456789012:role/deployer'));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain('"aws-iso"');
    expect(error.message).toContain('aws, aws-cn, aws-us-gov');
  });

  it.each(['', 'deployer', 'arn:aws:iam', 'urn:aws:iam::123456789012:role/deployer'])(
    'refuses %p, which is not an ARN',
    (arn) => {
      expect(errorOf(() => partitionOf(arn)).code).toBe('VALIDATION_FAILED');
    },
  );

  it('knows its partitions', () => {
    expect(isPartition('aws-cn')).toBe(true);
    expect(isPartition('aws-iso-b')).toBe(false);
  });
});

describe('accountOfArn', () => {
  it('reads the 12-digit account', () => {
    expect(accountOfArn('arn:aws:iam::123456789012:role/deployer')).toBe('123456789012');
  });

  it('refuses an ARN without an account', () => {
    expect(errorOf(() => accountOfArn('arn:aws:s3:::bucket')).message).toContain('12-digit account');
  });
});

describe('roleNameOfArn', () => {
  it.each([
    ['arn:aws:iam::123456789012:role/deployer', 'deployer'],
    ['arn:aws:iam::123456789012:role/ci/terraform/deployer', 'deployer'],
    ['arn:aws-cn:iam::123456789012:role/with+=,.@-chars', 'with+=,.@-chars'],
  ])('reads %s as %s', (arn, name) => {
    expect(roleNameOfArn(arn)).toBe(name);
  });

  it.each([
    ['a user ARN', 'arn:aws:iam::123456789012:user/alice'],
    ['a path without a name', 'arn:aws:iam::123456789012:role/ci/'],
    ['an STS ARN', 'arn:aws:sts::123456789012:assumed-role/deployer/s'],
  ])('refuses %s, naming roleArn', (_label, arn) => {
    const error = errorOf(() => roleNameOfArn(arn));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues?.[0]?.path).toBe('roleArn');
  });
});

describe('assumedRoleArn', () => {
  it('is the ARN STS reports for the session, without the role path', () => {
    expect(assumedRoleArn('arn:aws:iam::123456789012:role/ci/deployer', 'session-1')).toBe(
      'arn:aws:sts::123456789012:assumed-role/deployer/session-1',
    );
    expect(assumedRoleArn('arn:aws-us-gov:iam::210987654321:role/deployer', 'session-1')).toBe(
      'arn:aws-us-gov:sts::210987654321:assumed-role/deployer/session-1',
    );
  });

  it.each(['x', 'has space', 'a'.repeat(65)])('refuses the session name %p', (sessionName) => {
    const error = errorOf(() => assumedRoleArn('arn:aws:iam::123456789012:role/deployer', sessionName));
    expect(error.issues?.[0]?.path).toBe('sessionName');
  });

  it('keeps partition, account and a runtrail session name readable for every role', () => {
    fc.assert(
      fc.property(arbRoleArn, arbUlid, arbCallerSlug, arbAccount, (roleArn, runId, callerSlug, account) => {
        const session = roleSessionName({ runId, callerSlug, account });
        const match = ASSUMED_ROLE_ARN.exec(assumedRoleArn(roleArn, session));
        expect(match).not.toBeNull();
        expect(match?.[1]).toBe(partitionOf(roleArn));
        expect(match?.[2]).toBe(accountOfArn(roleArn));
        expect(roleArn.endsWith(`/${match?.[3]}`)).toBe(true);
        expect(parseRoleSessionName(match?.[4] ?? '')?.runId).toBe(runId);
      }),
    );
  });
});
