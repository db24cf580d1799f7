import type {
  AssumeRoleInput,
  AssumeRoleWithWebIdentityInput,
  TemporaryCredentials,
} from '@runtrail/aws-sts';

/**
 * The STS calls the broker makes, as an injection token: `Sts` from `@runtrail/aws-sts` in
 * production (endpoints, error mapping), a counting or failing stand-in in tests. Errors are
 * `RuntrailError`s that say whether a retry can help.
 */
export abstract class StsAdapter {
  abstract assumeRole(input: AssumeRoleInput): Promise<TemporaryCredentials>;
  abstract assumeRoleWithWebIdentity(input: AssumeRoleWithWebIdentityInput): Promise<TemporaryCredentials>;
}
