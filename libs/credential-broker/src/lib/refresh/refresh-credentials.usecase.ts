import { Injectable } from '@nestjs/common';
import { assumedRoleArn } from '@runtrail/aws-identity';
import {
  CredentialsIssuedEvent,
  CredentialsRefreshRequest,
  ResolveIntegrationsRequest,
  RuntrailError,
  isTerminalPhase,
  scopeOfPhase,
  type CallerType,
  type Phase,
  type ReplyOf,
  type RequestOf,
  type RunType,
} from '@runtrail/contracts';
import { MessageBus } from '@runtrail/messaging';
import { seal } from '@runtrail/sealing';
import { Clock } from '../clock';
import { CredentialSource, type IssuanceTarget } from '../issue/credential-source';
import { assertWithinLifetime } from '../issue/issuance-limits';
import { IssuanceLedger } from '../ledger/issuance.ledger';
import { RunStateStore } from '../ledger/run-state.store';

type RefreshRequest = RequestOf<typeof CredentialsRefreshRequest>;
type RefreshReply = ReplyOf<typeof CredentialsRefreshRequest>;

/**
 * `credentials.v1.refresh`: fresh credentials for a run still in a credentialed phase, sealed to the
 * run's worker key. Refused with RUN_NOT_ACTIVE once the run finished, failed or stopped or its
 * deadline passed (and cut to the deadline before), with UNSAFE_TRUST_POLICY once the integration
 * failed re-verification, and with FORBIDDEN when the asker is not the run's worker.
 */
@Injectable()
export class RefreshCredentialsUseCase {
  constructor(
    private readonly runs: RunStateStore,
    private readonly ledger: IssuanceLedger,
    private readonly source: CredentialSource,
    private readonly bus: MessageBus,
    private readonly clock: Clock,
  ) {}

  async execute(request: RefreshRequest): Promise<RefreshReply> {
    const run = await this.runs.find(request.runId);
    if (!run)
      throw new RuntrailError(
        'NOT_FOUND',
        `run ${request.runId} is unknown to the broker; no phase event was seen for it`,
      );
    const sameKey =
      run.workerPublicKey.x === request.workerPublicKey.x &&
      run.workerPublicKey.y === request.workerPublicKey.y;
    if (run.workerId !== request.workerId || !sameKey) {
      throw new RuntrailError(
        'FORBIDDEN',
        `only the worker executing run ${request.runId}, with the run's key, may refresh its credentials`,
      );
    }
    const phase = run.phase as Phase;
    const scope = scopeOfPhase(phase);
    if (isTerminalPhase(phase) || !scope) {
      throw new RuntrailError(
        'RUN_NOT_ACTIVE',
        `run ${request.runId} is ${phase}: it gets no more credentials`,
      );
    }
    const deadline = run.deadline ?? null;
    assertWithinLifetime(run.runId, deadline, this.clock.now());
    const key = { runId: run.runId, phase, integrationId: request.integrationId };
    const issued = await this.ledger.find(key);
    if (issued?.state !== 'delivered') {
      throw new RuntrailError(
        'NOT_FOUND',
        `no credentials were delivered for run ${run.runId} ${phase} from integration ${request.integrationId}; nothing to refresh`,
      );
    }

    const caller = { type: run.callerType as CallerType, id: run.callerId, slug: run.callerSlug };
    const resolved = await this.bus.request(ResolveIntegrationsRequest, {
      account: run.account,
      callerType: caller.type,
      callerId: caller.id,
      scope,
    });
    const entry = resolved.integrations.find((i) => i.integration.id === request.integrationId);
    if (!entry) {
      throw new RuntrailError(
        'NOT_FOUND',
        `integration ${request.integrationId} is no longer attached for scope ${scope} to ${caller.type} ${caller.slug}`,
      );
    }
    const target: IssuanceTarget = {
      runId: run.runId,
      account: run.account,
      spaceId: run.spaceId,
      caller,
      runType: run.runType as RunType,
      scope,
      oidcAudience: resolved.oidcAudience,
      deadline,
    };
    const obtained = await this.source.obtain(target, entry.integration, entry.externalId);
    const sealed = await seal(obtained.plaintext, run.workerPublicKey);
    const now = this.clock.now();
    const refresh = await this.ledger.nextRefresh(key, obtained.accessKeyId, obtained.expiresAt, now);
    const integration = entry.integration;
    await this.bus.publish(CredentialsIssuedEvent, {
      runId: run.runId,
      account: run.account,
      spaceId: run.spaceId,
      caller,
      phase,
      scope,
      workerId: run.workerId,
      integrationId: integration.id,
      roleArn: integration.roleArn,
      mode: integration.mode,
      sessionName: obtained.sessionName,
      sourceIdentity: obtained.sourceIdentity,
      externalIdUsed: integration.mode !== 'oidc',
      accessKeyId: obtained.accessKeyId,
      assumedRoleArn:
        integration.mode === 'worker' ? null : assumedRoleArn(integration.roleArn, obtained.sessionName),
      expiresAt: obtained.expiresAt.toISOString(),
      issuedAt: now.toISOString(),
      refresh,
    });
    return { sealed, expiresAt: obtained.expiresAt.toISOString() };
  }
}
