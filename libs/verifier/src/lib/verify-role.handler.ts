import { Controller, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { VerifyRoleRequest, type VerifyRoleReply } from '@runtrail/contracts';
import { OnRequest } from '@runtrail/messaging';
import type { VerifyRequest } from './checks/verification.subject';
import { VerifyRoleUseCase } from './checks/verify-role.usecase';

/** Answers `verifier.v1.verify` in a queue group shared by every replica. */
@Controller()
export class VerifyRoleHandler {
  private readonly log = new Logger('Verifier');

  constructor(private readonly verifyRole: VerifyRoleUseCase) {}

  @OnRequest(VerifyRoleRequest)
  async verify(@Payload() request: VerifyRequest): Promise<VerifyRoleReply> {
    const verdict = await this.verifyRole.execute(request);
    // Only check names and statuses: verification never holds credentials, and the log shows no ids beyond the integration's.
    this.log.log(
      `integration ${request.integration.id}: ${verdict.safe ? 'safe' : 'UNSAFE'} (${verdict.checks.map((c) => `${c.check}=${c.status}`).join(', ')})`,
    );
    return verdict;
  }
}
