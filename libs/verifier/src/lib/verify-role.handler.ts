import { Controller, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { VerifyRoleRequest, type VerifyRoleReply } from '@runtrail/contracts';
import { OnRequest } from '@runtrail/messaging';
import { runtrailCounter } from '@runtrail/telemetry';
import type { VerifyRequest } from './checks/verification.subject';
import { VerifyRoleUseCase } from './checks/verify-role.usecase';

const checks = () => runtrailCounter('verificationChecks');

/** Answers `verifier.v1.verify` in a queue group shared by every replica. */
@Controller()
export class VerifyRoleHandler {
  private readonly log = new Logger('Verifier');

  constructor(private readonly verifyRole: VerifyRoleUseCase) {}

  @OnRequest(VerifyRoleRequest)
  async verify(@Payload() request: VerifyRequest): Promise<VerifyRoleReply> {
    const verdict = await this.verifyRole.execute(request);
    for (const c of verdict.checks) checks().add(1, { 'runtrail.check': c.check, 'runtrail.outcome': c.status });
    // Only check names and statuses: verification never holds credentials, and the log shows no ids beyond the integration's.
    this.log.log(
      `integration ${request.integration.id}: ${verdict.safe ? 'safe' : 'UNSAFE'} (${verdict.checks.map((c) => `${c.check}=${c.status}`).join(', ')})`,
    );
    return verdict;
  }
}
