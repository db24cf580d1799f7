import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { ProblemError } from '@runtrail/bootstrap';
import {
  VerifyRoleRequest,
  type CallerRef,
  type IntegrationSnapshot,
  type VerifyRoleReply,
} from '@runtrail/contracts';
import { MessageBus } from '@runtrail/messaging';
import { IntegrationsConfig } from '../integrations.config';
import { Account } from '../storage/account.entity';

/** A caller an integration is verified for, with the scopes to try. */
export interface VerifiedAttachment {
  caller: CallerRef & { spaceId: string };
  read: boolean;
  write: boolean;
}

/** What is being verified: an integration, and the attachment (caller and scopes) when there is one. */
export interface VerificationSubject {
  integration: IntegrationSnapshot;
  attachment?: VerifiedAttachment;
}

/** One verdict per attachment of an integration, and what they come to together. */
export interface IntegrationVerdicts {
  /** Safe when every attachment's verdict is; checks carry the caller they were made for. */
  combined: VerifyRoleReply;
  perAttachment: Array<{ attachment: VerifiedAttachment; verdict: VerifyRoleReply }>;
}

/** How many verifications of one integration's callers run at once (each is a few STS calls). */
const PARALLEL_VERIFICATIONS = 4;

/**
 * Asks the verifier (`verifier.v1.verify`) for verdicts, always for a real caller's external ids
 * (or for the integration alone, when it has no caller yet) and with the account's OIDC audience,
 * the same one the broker gets from `integrations.v1.resolve`.
 */
@Injectable()
export class VerificationClient {
  constructor(
    private readonly bus: MessageBus,
    private readonly config: IntegrationsConfig,
  ) {}

  async verdict(em: EntityManager, subject: VerificationSubject): Promise<VerifyRoleReply> {
    return this.ask(subject, await oidcAudienceOf(em, subject.integration.account));
  }

  /** One `verifier.v1.verify` request with the account's audience already read. */
  private ask(subject: VerificationSubject, oidcAudience: string | null): Promise<VerifyRoleReply> {
    const { healthy: _healthy, version: _version, ...integration } = subject.integration;
    return this.bus.request(
      VerifyRoleRequest,
      { integration, attachment: subject.attachment, ...(oidcAudience ? { oidcAudience } : {}) },
      { timeoutMs: this.config.verifyTimeoutMs },
    );
  }

  /**
   * The verdict when it is safe (warnings included).
   *
   * @throws ProblemError `UNSAFE_TRUST_POLICY` (HTTP 422) carrying the verdict, so nothing is saved.
   */
  async requireSafe(em: EntityManager, subject: VerificationSubject): Promise<VerifyRoleReply> {
    return requireSafe(await this.verdict(em, subject), subject.attachment);
  }

  /** A verdict for each item (its subject by `subjectOf`), at most `PARALLEL_VERIFICATIONS` asked at once. */
  async verdictsOf<T>(
    em: EntityManager,
    items: readonly T[],
    subjectOf: (item: T) => VerificationSubject,
  ): Promise<Array<{ item: T; verdict: VerifyRoleReply }>> {
    // Each account's audience is read once for the whole list, not once per verification.
    const audiences = new Map<string, Promise<string | null>>();
    const audienceOf = (account: string) => {
      let audience = audiences.get(account);
      if (!audience) audiences.set(account, (audience = oidcAudienceOf(em, account)));
      return audience;
    };
    const results: Array<{ item: T; verdict: VerifyRoleReply }> = [];
    for (let i = 0; i < items.length; i += PARALLEL_VERIFICATIONS) {
      const batch = items
        .slice(i, i + PARALLEL_VERIFICATIONS)
        .map((item) => ({ item, subject: subjectOf(item) }));
      results.push(
        ...(await Promise.all(
          batch.map(async ({ item, subject }) => ({
            item,
            verdict: await this.ask(subject, await audienceOf(subject.integration.account)),
          })),
        )),
      );
    }
    return results;
  }

  /** Verifies `integration` for each of its attachments (or alone when it has none). */
  async verdicts(
    em: EntityManager,
    integration: IntegrationSnapshot,
    attachments: VerifiedAttachment[],
  ): Promise<IntegrationVerdicts> {
    if (attachments.length === 0) {
      const verdict = await this.verdict(em, { integration });
      return { combined: verdict, perAttachment: [] };
    }
    const perAttachment = (
      await this.verdictsOf(em, attachments, (attachment) => ({ integration, attachment }))
    ).map(({ item, verdict }) => ({ attachment: item, verdict }));
    return { combined: combine(perAttachment), perAttachment };
  }

  /**
   * Verifies every attachment, all of which must be safe.
   *
   * @throws ProblemError `UNSAFE_TRUST_POLICY` (HTTP 422) with the first unsafe caller's verdict.
   */
  async requireAllSafe(
    em: EntityManager,
    integration: IntegrationSnapshot,
    attachments: VerifiedAttachment[],
  ): Promise<IntegrationVerdicts> {
    const verdicts = await this.verdicts(em, integration, attachments);
    const unsafe = verdicts.perAttachment.find((v) => !v.verdict.safe);
    if (unsafe) requireSafe(unsafe.verdict, unsafe.attachment);
    return verdicts;
  }
}

function requireSafe(verdict: VerifyRoleReply, attachment: VerifiedAttachment | undefined): VerifyRoleReply {
  if (verdict.safe) return verdict;
  const who = attachment ? ` for ${attachment.caller.type} ${attachment.caller.slug}` : '';
  throw new ProblemError(
    'UNSAFE_TRUST_POLICY',
    `the role's trust policy is not safe${who}, so nothing was saved: ${verdict.explanation}`,
    { verdict },
  );
}

async function oidcAudienceOf(em: EntityManager, account: string): Promise<string | null> {
  const row = await em.findOne(Account, { slug: account }, { fields: ['oidcAudience'] });
  return row?.oidcAudience ?? null;
}

/** Several callers' verdicts as one: each check names its caller. */
function combine(perAttachment: IntegrationVerdicts['perAttachment']): VerifyRoleReply {
  const label = (a: VerifiedAttachment) => `${a.caller.type} ${a.caller.slug}`;
  const checks = perAttachment.flatMap(({ attachment, verdict }) =>
    verdict.checks.map((c) => ({ ...c, message: `${label(attachment)}: ${c.message}` })),
  );
  const failing = checks.filter((c) => c.status === 'fail');
  const unsafe = perAttachment.find((v) => !v.verdict.safe) ?? perAttachment[0];
  return {
    safe: failing.length === 0,
    checks,
    explanation: failing.map((c) => c.message).join(' '),
    suggestedStatement: unsafe?.verdict.suggestedStatement ?? {},
    eventualConsistencySuspected: perAttachment.some((v) => v.verdict.eventualConsistencySuspected),
  };
}
