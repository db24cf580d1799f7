import { externalId, platformTrustStatement, type TrustStatement } from '@runtrail/aws-identity';
import type { Subject } from './verification.subject';

/**
 * The statement that makes a role safe for runtrail's platform mode: only runtrail's platform
 * account, only with this caller's external ids (any caller of this integration when verified
 * without one), and only the session features the integration uses.
 */
export function platformStatement(subject: Subject, platformAccountId: string): TrustStatement {
  const { integration, caller } = subject;
  const externalIds = caller
    ? subject.scopes.map((scope) =>
        externalId({
          account: integration.account,
          integrationId: integration.id,
          callerSlug: caller.slug,
          scope,
        }),
      )
    : [];
  return platformTrustStatement({ integration, platformAccountId, externalIds });
}
