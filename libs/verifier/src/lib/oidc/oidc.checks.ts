import {
  IssueTokenRequest,
  NONEXISTENT_CALLER_SLUG,
  NONEXISTENT_SPACE_ID,
  SCOPES,
  type IssueTokenReply,
  type Scope,
  type VerifyCheck,
} from '@runtrail/contracts';
import type { MessageBus } from '@runtrail/messaging';
import { generateSealingKeyPair, open } from '@runtrail/sealing';
import { ulid } from 'ulid';
import { z } from 'zod';
import { withRetry, type RetryPolicy } from '@runtrail/aws-sts';
import { fail, pass, warn, type Subject, type SubjectCaller } from '../checks/verification.subject';
import type { StsGateway } from '../sts/sts.gateway';
import { oidcStatement } from './oidc.statement';

export interface OidcResults {
  checks: VerifyCheck[];
  eventualConsistencySuspected: boolean;
  statement: Record<string, unknown> | null;
}

interface Issued {
  reply: IssueTokenReply;
  token: string;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));
const sessionName = () => `runtrail-verify-${ulid()}`;

/**
 * A caller that can never exist, of the same type as the one verified: with a slug no stack or
 * module can be registered under (`NONEXISTENT_CALLER_SLUG`), in `spaceId`. A condition naming
 * slugs refuses it; `space:<spaceId>:*` (seed 003's "every stack of a space") accepts it in that
 * space only; `*:stack:*` or no `sub` condition at all accept it anywhere.
 */
function nonexistentCaller(subject: Subject, spaceId: string): SubjectCaller {
  return { type: subject.caller?.type ?? 'stack', id: ulid(), slug: NONEXISTENT_CALLER_SLUG, spaceId };
}

/**
 * A short-lived verification token from oidc-issuer, opened with a one-shot key (it never travels
 * in plaintext). It asks for the account's audience exactly as the broker does, and for the source
 * identity claim only when the integration sends one, so a role that passes accepts real tokens.
 */
async function verificationToken(
  bus: MessageBus,
  subject: Subject,
  caller: SubjectCaller,
  scope: Scope,
): Promise<Issued> {
  const pair = await generateSealingKeyPair();
  const reply = await bus.request(IssueTokenRequest, {
    account: subject.integration.account,
    spaceId: caller.spaceId,
    callerType: caller.type,
    callerId: caller.id,
    callerSlug: caller.slug,
    runType: 'TRACKED',
    runId: ulid(),
    scope,
    lifetimeSeconds: 300,
    audience: subject.oidcAudience,
    sourceIdentity: subject.integration.sourceIdentity,
    replyKey: pair.publicJwk,
  });
  return { reply, token: await open(reply.sealedToken, pair.privateKey, z.string()) };
}

/**
 * Check 5, OIDC mode: for each enabled scope, the caller's web-identity token (its real `sub`) is
 * accepted, retried for IAM eventual consistency; and a token for a caller that can never exist is
 * refused, or the trust policy lets in callers it does not name. Without a caller only the refusal
 * is checked, for both scopes: no `sub` should work yet.
 */
export async function oidcChecks(
  sts: StsGateway,
  bus: MessageBus,
  subject: Subject,
  policy: RetryPolicy,
): Promise<OidcResults> {
  const results: OidcResults = { checks: [], eventualConsistencySuspected: false, statement: null };
  const { caller } = subject;
  const scopes = caller ? subject.scopes : SCOPES;
  for (const scope of scopes) {
    if (caller && !(await callerAccepted(sts, bus, subject, caller, scope, policy, results))) continue;
    const outside = await otherCallerRefused(sts, bus, subject, scope, results, 'other-space');
    results.checks.push(outside);
    if (outside.status === 'pass')
      results.checks.push(await otherCallerRefused(sts, bus, subject, scope, results, 'same-space'));
  }
  return results;
}

/** The caller's token for `scope` is accepted; records the check and returns whether it passed. */
async function callerAccepted(
  sts: StsGateway,
  bus: MessageBus,
  subject: Subject,
  caller: SubjectCaller,
  scope: Scope,
  policy: RetryPolicy,
  results: OidcResults,
): Promise<boolean> {
  let issued: Issued;
  try {
    issued = await verificationToken(bus, subject, caller, scope);
  } catch (error) {
    results.checks.push(
      fail(`oidc-token:${scope}`, `runtrail's OIDC issuer gave no verification token: ${errorText(error)}`),
    );
    return false;
  }
  results.statement ??= oidcStatement(subject, issued.reply);
  const { roleArn, region, durationSeconds } = subject.integration;
  const attempt = () =>
    sts.assumeRoleWithWebIdentity({
      roleArn,
      region,
      durationSeconds,
      sessionName: sessionName(),
      token: issued.token,
    });
  const { outcome, attempts } = await withRetry(policy, attempt);
  const check = `oidc-web-identity:${scope}`;
  const sub = issued.reply.subject;
  if (outcome.ok) {
    const retried = attempts > 1 ? ` after ${attempts} attempts (IAM eventual consistency)` : '';
    results.checks.push(
      pass(check, `AssumeRoleWithWebIdentity with a token for sub ${sub} succeeded${retried}`),
    );
    return true;
  }
  results.eventualConsistencySuspected ||= outcome.code === 'AccessDenied' && attempts > 1;
  results.checks.push(
    fail(
      check,
      `AssumeRoleWithWebIdentity with a token for sub ${sub} failed (${outcome.code}: ${outcome.message}). The account must have an IAM OIDC provider for ${issued.reply.issuer} with client id (audience) ${issued.reply.audience}, and the trust policy must allow that aud and sub (see the suggested statement).`,
    ),
  );
  return false;
}

/**
 * A token for a caller that can never exist. In another space (one no space can have) it must be
 * refused, or the `sub` condition lets in callers of spaces it does not name: `oidc-other-caller`
 * fails. In the caller's own space it is a warning only (`oidc-same-space-caller`): seed 003
 * documents trusting every stack of a space, which is a choice, not a confused deputy.
 */
async function otherCallerRefused(
  sts: StsGateway,
  bus: MessageBus,
  subject: Subject,
  scope: Scope,
  results: OidcResults,
  where: 'other-space' | 'same-space',
): Promise<VerifyCheck> {
  const check = where === 'other-space' ? `oidc-other-caller:${scope}` : `oidc-same-space-caller:${scope}`;
  const ownSpace = subject.caller?.spaceId ?? subject.integration.spaceId;
  let other: Issued;
  try {
    other = await verificationToken(
      bus,
      subject,
      nonexistentCaller(subject, where === 'other-space' ? NONEXISTENT_SPACE_ID : ownSpace),
      scope,
    );
  } catch (error) {
    return fail(check, `runtrail's OIDC issuer gave no verification token: ${errorText(error)}`);
  }
  results.statement ??= oidcStatement(subject, other.reply);
  const { roleArn, region } = subject.integration;
  const outcome = await sts.assumeRoleWithWebIdentity({
    roleArn,
    region,
    durationSeconds: 900,
    sessionName: sessionName(),
    token: other.token,
  });
  const sub = other.reply.subject;
  if (!outcome.ok) return pass(check, `a token for a caller that does not exist (sub ${sub}) is refused`);
  if (where === 'same-space')
    return warn(
      check,
      `a token for a caller that does not exist in space ${ownSpace} (sub ${sub}) was accepted: the role trusts every stack and module of that space, now and later. If only some should use it, pin the sub condition to them (see the suggested statement).`,
    );
  const pin = subject.caller
    ? 'pin it to this caller, or at least to its space'
    : 'pin it to the stacks and modules that use this role, or their space (replace the slug placeholder in the suggested statement; attaching a caller gives its exact statement)';
  return fail(
    check,
    `a token for a caller that does not exist, in a space that does not exist (sub ${sub}), was accepted: the trust policy's sub condition lets in callers of any space; ${pin}.`,
  );
}
