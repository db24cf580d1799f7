import { oidcTrustStatement, type TrustStatement } from '@runtrail/aws-identity';
import type { Subject } from '../checks/verification.subject';

/** The issuer and audience of a token the verifier got, which the statement pins. */
export interface IssuedFor {
  issuer: string;
  audience: string;
}

/** The OIDC-mode statement for what is verified, pinned to the issuer and audience tokens carry. */
export function oidcStatement(subject: Subject, issued: IssuedFor): TrustStatement {
  return oidcTrustStatement({
    ...issued,
    integration: subject.integration,
    caller: subject.caller,
    scopes: subject.scopes,
  });
}
