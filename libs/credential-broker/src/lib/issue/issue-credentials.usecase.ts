import { setImmediate as nextTurn } from 'node:timers/promises';
import { Injectable, Logger } from '@nestjs/common';
import {
  CredentialsIssuedEvent,
  DeliveryEvent,
  ResolveIntegrationsRequest,
  RuntrailError,
  scopeOfPhase,
  type ResolveIntegrationsReply,
  type RunPhaseChanged,
  type Scope,
} from '@runtrail/contracts';
import { assumedRoleArn } from '@runtrail/aws-identity';
import { MessageBus } from '@runtrail/messaging';
import { sealerFor } from '@runtrail/sealing';
import { runtrailHistogram, secondsSince } from '@runtrail/telemetry';
import { BrokerSettings } from '../broker.settings';
import { Clock } from '../clock';
import { IssuanceLedger, type IssuanceKey } from '../ledger/issuance.ledger';
import { RunStateStore } from '../ledger/run-state.store';
import { CredentialSource, type IssuanceTarget } from './credential-source';
import { FailureReporter } from './failure.reporter';

type Resolved = ResolveIntegrationsReply['integrations'][number];

/** Where the handler is in JetStream's delivery count, so the last attempt can report the failure. */
export interface DeliveryAttempt {
  delivery: number;
  maxDeliver: number;
}

/**
 * A run entered a phase: record it, and when the phase needs credentials, issue them for every
 * integration attached to the caller for the phase's scope.
 *
 * Idempotency, per (run, phase, integration), through the ledger:
 * 1. claim the row (insert, or take over an expired claim by compare-and-set);
 * 2. get the credentials, record `assumed` with the access key id and expiry;
 * 3. seal and publish the delivery with Nats-Msg-Id `<run>:<phase>:<integration>`;
 * 4. record `delivered`, then publish `credentials.v1.issued` (its own Nats-Msg-Id).
 * A redelivered event finds `delivered` and only re-announces. A replica that died after step 1 or 2
 * leaves a claim that expires; the next delivery takes it over and assumes again (the secrets were
 * never stored, so the first session cannot be re-sent). If the dead replica had already published,
 * JetStream drops the second delivery as a duplicate and the ledger keeps the first session's
 * access key id: the worker gets exactly one delivery either way.
 */
@Injectable()
export class IssueCredentialsUseCase {
  private readonly log = new Logger('CredentialBroker');

  constructor(
    private readonly runs: RunStateStore,
    private readonly ledger: IssuanceLedger,
    private readonly source: CredentialSource,
    private readonly failures: FailureReporter,
    private readonly bus: MessageBus,
    private readonly settings: BrokerSettings,
    private readonly clock: Clock,
  ) {}

  async execute(event: RunPhaseChanged, attempt: DeliveryAttempt): Promise<void> {
    const scope = scopeOfPhase(event.phase);
    if (!scope) {
      await this.runs.record(event, this.clock.now());
      return;
    }
    // Independent, so concurrent: the run's phase must be recorded before anything is issued
    // (a refresh checks it), and resolving does not depend on it.
    const [current, resolved] = await Promise.all([
      this.runs.record(event, this.clock.now()),
      this.resolve(event, scope, attempt),
    ]);
    if (!current) {
      // A late or redelivered event of a phase the run has left: its credentials would be of no use.
      this.log.log(`run ${event.runId} ${event.phase}: skipped, the run is already in a later phase`);
      return;
    }
    if (!resolved) return;
    if (resolved.integrations.length === 0) {
      const who = `${event.caller.type} ${event.caller.slug} (${event.caller.id})`;
      await this.failures.report(
        event,
        scope,
        null,
        'NOT_FOUND',
        `no integration attached for scope ${scope} to ${who} in account ${event.account}; attach an AWS integration with ${scope} enabled`,
      );
      return;
    }
    const target: IssuanceTarget = {
      ...event,
      scope,
      oidcAudience: resolved.oidcAudience,
      deadline: event.deadline ? new Date(event.deadline) : null,
    };
    const outcomes = await Promise.allSettled(
      resolved.integrations.map((entry) => this.issueOne(event, target, entry, attempt)),
    );
    // Another attempt redoes only what is not delivered yet: the ledger skips the rest.
    const retry = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (retry) throw retry.reason;
  }

  private async resolve(
    event: RunPhaseChanged,
    scope: Scope,
    attempt: DeliveryAttempt,
  ): Promise<ResolveIntegrationsReply | null> {
    try {
      return await this.bus.request(ResolveIntegrationsRequest, {
        account: event.account,
        callerType: event.caller.type,
        callerId: event.caller.id,
        scope,
      });
    } catch (error) {
      const { code, reason } = FailureReporter.describe(error);
      const transient = error instanceof RuntrailError ? error.transient : true;
      if (transient && attempt.delivery < attempt.maxDeliver) throw error;
      await this.failures.report(
        event,
        scope,
        null,
        code,
        `could not resolve the caller's integrations: ${reason}`,
      );
      return null;
    }
  }

  private async issueOne(
    event: RunPhaseChanged,
    target: IssuanceTarget,
    entry: Resolved,
    attempt: DeliveryAttempt,
  ): Promise<void> {
    const integration = entry.integration;
    const key: IssuanceKey = { runId: event.runId, phase: event.phase, integrationId: integration.id };
    const now = this.clock.now();
    const claim = await this.ledger.claim({
      ...key,
      mode: integration.mode,
      sessionName: this.source.sessionNameOf(target),
      now,
      leaseMs: this.settings.leaseMs,
    });
    if (claim.kind === 'busy') {
      throw new RuntrailError(
        'UNAVAILABLE',
        `another broker replica is issuing ${key.runId}/${key.phase}/${key.integrationId}; retrying later`,
      );
    }
    if (claim.kind === 'done') {
      if (claim.row.state === 'delivered')
        await this.announce(
          event,
          target,
          entry,
          claim.row.accessKeyId ?? null,
          claim.row.expiresAt ?? now,
          claim.row.updatedAt,
        );
      return;
    }

    const started = performance.now();
    const measured = (outcome: 'delivered' | 'failed' | 'retried') =>
      runtrailHistogram('issuanceDuration').record(secondsSince(started), {
        'runtrail.mode': integration.mode,
        'runtrail.outcome': outcome,
      });
    // Sealing's key agreement (a P-256 key and ECDH, ~0.4 ms of CPU) needs only the worker's key: it
    // runs while STS answers, a turn after the request left, so that only AES is left once it has.
    const sealer = nextTurn().then(() => sealerFor(event.workerPublicKey));
    sealer.catch(() => undefined); // awaited below, unless obtaining failed first
    let obtained;
    try {
      obtained = await this.source.obtain(target, integration, entry.externalId);
    } catch (error) {
      const transient = !(error instanceof RuntrailError) || error.transient;
      if (transient && attempt.delivery < attempt.maxDeliver) {
        await this.ledger.release(key, claim.claimToken, this.clock.now());
        measured('retried');
        throw error;
      }
      const { code, reason } = FailureReporter.describe(error);
      await this.failures.report(event, target.scope, integration, code, reason);
      await this.ledger.recordFailed(key, claim.claimToken, code, this.clock.now());
      measured('failed');
      return;
    }

    // The ledger must know the session before anything is published; sealing need not wait for it.
    const assumed = this.ledger.recordAssumed(
      key,
      claim.claimToken,
      obtained.accessKeyId,
      obtained.expiresAt,
      this.clock.now(),
    );
    const [stillOurs, sealed] = await Promise.all([
      assumed,
      sealer.then((sealTo) => sealTo(obtained.plaintext)),
    ]);
    if (!stillOurs) {
      // Slower than the lease: another replica took the issuance over and will deliver it.
      throw new RuntrailError(
        'UNAVAILABLE',
        `lost the claim on ${key.runId}/${key.phase}/${key.integrationId} to another replica`,
      );
    }
    const published = await this.bus.publish(DeliveryEvent, {
      runId: event.runId,
      workerId: event.workerId,
      phase: event.phase,
      scope: target.scope,
      integrationId: integration.id,
      mode: integration.mode,
      sealed,
      expiresAt: obtained.expiresAt.toISOString(),
      caller: { type: event.caller.type, slug: event.caller.slug },
      spaceId: event.spaceId,
      runType: event.runType,
    });

    let accessKeyId = obtained.accessKeyId;
    let expiresAt = obtained.expiresAt;
    if (published.duplicate && claim.kind === 'takeover' && claim.previous.state === 'assumed') {
      // The replica before us published its delivery and died before recording it: that one stands.
      this.log.warn(
        `run ${event.runId} ${event.phase}: ${integration.id} was already delivered by a replica that stopped; the new session ${obtained.accessKeyId ?? ''} is unused`,
      );
      accessKeyId = claim.previous.accessKeyId ?? null;
      expiresAt = claim.previous.expiresAt ?? expiresAt;
    }
    const deliveredAt = this.clock.now();
    await this.ledger.recordDelivered(key, claim.claimToken, accessKeyId, expiresAt, deliveredAt);
    measured('delivered');
    this.log.log(
      `run ${event.runId} ${event.phase}: delivered ${integration.mode} credentials of ${integration.id} (${accessKeyId ?? 'assumed by the worker'})`,
    );
    await this.announce(event, target, entry, accessKeyId, expiresAt, deliveredAt);
  }

  /** `credentials.v1.issued` for the phase's first issuance; idempotent through its Nats-Msg-Id. */
  private async announce(
    event: RunPhaseChanged,
    target: IssuanceTarget,
    entry: Resolved,
    accessKeyId: string | null,
    expiresAt: Date,
    issuedAt: Date,
  ): Promise<void> {
    const integration = entry.integration;
    const sessionName = this.source.sessionNameOf(target);
    await this.bus.publish(CredentialsIssuedEvent, {
      runId: event.runId,
      account: event.account,
      spaceId: event.spaceId,
      caller: event.caller,
      phase: event.phase,
      scope: target.scope,
      workerId: event.workerId,
      integrationId: integration.id,
      roleArn: integration.roleArn,
      mode: integration.mode,
      sessionName,
      sourceIdentity: this.source.sourceIdentityOf(target, integration),
      externalIdUsed: integration.mode !== 'oidc',
      accessKeyId,
      assumedRoleArn: integration.mode === 'worker' ? null : assumedRoleArn(integration.roleArn, sessionName),
      expiresAt: expiresAt.toISOString(),
      issuedAt: issuedAt.toISOString(),
      refresh: 0,
    });
  }
}
