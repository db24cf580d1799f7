import { Injectable } from '@nestjs/common';
import { ProblemError } from '@runtrail/bootstrap';
import {
  VerifyRoleRequest,
  type CallerRef,
  type IntegrationSnapshot,
  type VerifyRoleReply,
} from '@runtrail/contracts';
import { MessageBus } from '@runtrail/messaging';
import { IntegrationsConfig } from '../integrations.config';

/** What is being verified: an integration, and the attachment about to be made when there is one. */
export interface VerificationSubject {
  integration: IntegrationSnapshot;
  attachment?: { caller: CallerRef & { spaceId: string }; read: boolean; write: boolean };
}

/** Asks the verifier (`verifier.v1.verify`) for a verdict. */
@Injectable()
export class VerificationClient {
  constructor(
    private readonly bus: MessageBus,
    private readonly config: IntegrationsConfig,
  ) {}

  verdict(subject: VerificationSubject): Promise<VerifyRoleReply> {
    const { healthy: _healthy, version: _version, ...integration } = subject.integration;
    return this.bus.request(
      VerifyRoleRequest,
      { integration, attachment: subject.attachment },
      { timeoutMs: this.config.verifyTimeoutMs },
    );
  }

  /**
   * The verdict when it is safe (warnings included).
   *
   * @throws ProblemError `UNSAFE_TRUST_POLICY` (HTTP 422) carrying the verdict, so nothing is saved.
   */
  async requireSafe(subject: VerificationSubject): Promise<VerifyRoleReply> {
    const verdict = await this.verdict(subject);
    if (!verdict.safe) {
      throw new ProblemError(
        'UNSAFE_TRUST_POLICY',
        `the role's trust policy is not safe, so nothing was saved: ${verdict.explanation}`,
        {
          verdict,
        },
      );
    }
    return verdict;
  }
}
