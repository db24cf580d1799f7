import { Injectable } from '@nestjs/common';
import { RuntrailError, type VerifyCheck, type VerifyRoleReply } from '@runtrail/contracts';
import { MessageBus } from '@runtrail/messaging';
import { oidcChecks } from '../oidc/oidc.checks';
import { StsGateway } from '../sts/sts.gateway';
import { VerifierConfig } from '../verifier.config';
import { confusedDeputyCheck, platformChecks, platformRootOf } from './platform.checks';
import { platformStatement } from './suggested-statement';
import { subjectOf, warn, type Subject, type VerifyRequest } from './verification.subject';

/** Runs the checks for the integration's mode and turns them into a verdict. */
@Injectable()
export class VerifyRoleUseCase {
  constructor(
    private readonly sts: StsGateway,
    private readonly bus: MessageBus,
    private readonly config: VerifierConfig,
  ) {}

  async execute(request: VerifyRequest): Promise<VerifyRoleReply> {
    const subject = subjectOf(request);
    const platformAccountId = await this.sts.platformAccountId().catch((error: unknown) => {
      throw new RuntrailError(
        'UNAVAILABLE',
        `the verifier cannot reach STS with runtrail's identity: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    const platformRoot = platformRootOf(subject.integration.roleArn, platformAccountId);
    let checks: VerifyCheck[];
    let eventualConsistencySuspected = false;
    let statement = platformStatement(subject, platformAccountId);
    if (subject.integration.mode === 'platform') {
      ({ checks, eventualConsistencySuspected } = await platformChecks(
        this.sts,
        subject,
        this.config.retry,
        platformRoot,
      ));
    } else if (subject.integration.mode === 'oidc') {
      const oidc = await oidcChecks(this.sts, this.bus, subject, this.config.retry);
      checks = [...oidc.checks, await confusedDeputyCheck(this.sts, subject, platformRoot)];
      eventualConsistencySuspected = oidc.eventualConsistencySuspected;
      statement = oidc.statement ?? statement;
    } else {
      checks = await this.workerChecks(subject, platformRoot);
    }
    const failing = checks.filter((c) => c.status === 'fail');
    return {
      safe: failing.length === 0,
      checks,
      explanation: failing.map((c) => c.message).join(' '),
      suggestedStatement: statement,
      eventualConsistencySuspected,
    };
  }

  /** Worker mode: the worker's identity is not runtrail's, so only the platform's own access is checked. */
  private async workerChecks(subject: Subject, platformRoot: string): Promise<VerifyCheck[]> {
    return [
      warn(
        'assume-with-external-id',
        'not checked: in worker mode the private worker assumes the role with its own identity, which runtrail does not hold',
      ),
      await confusedDeputyCheck(this.sts, subject, platformRoot),
    ];
  }
}
