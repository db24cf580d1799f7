import { accountOfArn, partitionOf, stsAudience } from '@runtrail/aws-identity';
import { IssueTokenRequest, type IssueTokenReply, type Scope, type VerifyCheck } from '@runtrail/contracts';
import type { MessageBus } from '@runtrail/messaging';
import { generateSealingKeyPair, open } from '@runtrail/sealing';
import { ulid } from 'ulid';
import { z } from 'zod';
import { withRetry, type RetryPolicy } from '../checks/retry.policy';
import { oidcStatement } from '../checks/suggested-statement';
import { fail, pass, type Subject } from '../checks/verification.subject';
import type { StsGateway } from '../sts/sts.gateway';

export interface OidcResults {
  checks: VerifyCheck[];
  eventualConsistencySuspected: boolean;
  statement: Record<string, unknown> | null;
}

/** A short-lived verification token from oidc-issuer, opened with a one-shot key (it never travels in plaintext). */
async function verificationToken(
  bus: MessageBus,
  subject: Subject,
  scope: Scope,
  callerId: string,
): Promise<{ reply: IssueTokenReply; token: string }> {
  const pair = await generateSealingKeyPair();
  const reply = await bus.request(IssueTokenRequest, {
    account: subject.integration.account,
    spaceId: subject.caller.spaceId,
    callerType: subject.caller.type,
    callerId,
    runType: 'TRACKED',
    runId: ulid(),
    scope,
    lifetimeSeconds: 300,
    audience: stsAudience(partitionOf(subject.integration.roleArn)),
    replyKey: pair.publicJwk,
  });
  return { reply, token: await open(reply.sealedToken, pair.privateKey, z.string()) };
}

/** Check 5: the caller's web-identity token is accepted, another caller's is refused. */
export async function oidcChecks(
  sts: StsGateway,
  bus: MessageBus,
  subject: Subject,
  policy: RetryPolicy,
): Promise<OidcResults> {
  const results: OidcResults = { checks: [], eventualConsistencySuspected: false, statement: null };
  const { roleArn, region, durationSeconds } = subject.integration;
  for (const scope of subject.scopes) {
    let issued: { reply: IssueTokenReply; token: string };
    try {
      issued = await verificationToken(bus, subject, scope, subject.caller.id);
    } catch (error) {
      results.checks.push(
        fail(
          `oidc-token:${scope}`,
          `runtrail's OIDC issuer gave no verification token: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
      continue;
    }
    results.statement ??= statementFor(subject, issued.reply);
    const attempt = () =>
      sts.assumeRoleWithWebIdentity({
        roleArn,
        region,
        durationSeconds,
        sessionName: `runtrail-verify-${ulid()}`,
        token: issued.token,
      });
    const { outcome, attempts } = await withRetry(policy, attempt);
    if (outcome.ok) {
      results.checks.push(
        pass(
          `oidc-web-identity:${scope}`,
          `AssumeRoleWithWebIdentity with a token for sub ${issued.reply.subject} succeeded${attempts > 1 ? ` after ${attempts} attempts (IAM eventual consistency)` : ''}`,
        ),
      );
    } else {
      results.eventualConsistencySuspected ||= outcome.code === 'AccessDenied' && attempts > 1;
      results.checks.push(
        fail(
          `oidc-web-identity:${scope}`,
          `AssumeRoleWithWebIdentity with a token for sub ${issued.reply.subject} failed (${outcome.code}: ${outcome.message}). The account must have an IAM OIDC provider for ${issued.reply.issuer} with client id ${issued.reply.audience}, and the trust policy must allow that sub (see the suggested statement).`,
        ),
      );
      continue;
    }
    const other = await verificationToken(bus, subject, scope, ulid());
    const foreign = await sts.assumeRoleWithWebIdentity({
      roleArn,
      region,
      durationSeconds: 900,
      sessionName: `runtrail-verify-${ulid()}`,
      token: other.token,
    });
    results.checks.push(
      foreign.ok
        ? fail(
            `oidc-other-caller:${scope}`,
            `a token for another caller (sub ${other.reply.subject}) was accepted too: the trust policy's sub condition is too wide; pin it to this caller (see the suggested statement).`,
          )
        : pass(`oidc-other-caller:${scope}`, 'a token for another caller is refused'),
    );
  }
  return results;
}

function statementFor(subject: Subject, reply: IssueTokenReply): Record<string, unknown> {
  const url = new URL(reply.issuer);
  const hostPath = `${url.host}${url.pathname.replace(/\/+$/, '')}`;
  const providerArn = `arn:${partitionOf(subject.integration.roleArn)}:iam::${accountOfArn(subject.integration.roleArn)}:oidc-provider/${hostPath}`;
  return oidcStatement(subject, providerArn, hostPath, reply.audience);
}
