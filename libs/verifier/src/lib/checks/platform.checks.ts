import { externalId, foreignExternalId, partitionOf, sessionTags } from '@runtrail/aws-identity';
import type { Scope, VerifyCheck } from '@runtrail/contracts';
import { ulid } from 'ulid';
import type { AssumeOutcome, AssumeRoleInput, StsGateway } from '../sts/sts.gateway';
import { retryBudgetMs, withRetry, type RetryPolicy } from '@runtrail/aws-sts';
import { fail, pass, warn, type Subject, type SubjectCaller } from './verification.subject';

/** What the platform-identity checks found. */
export interface CheckResults {
  checks: VerifyCheck[];
  /** A positive check ran out of retries on AccessDenied, which is what an unpropagated role looks like. */
  eventualConsistencySuspected: boolean;
}

const describeFailure = (o: AssumeOutcome) => (o.ok ? '' : `STS answered ${o.code}: ${o.message}`);
const sessionName = () => `runtrail-verify-${ulid()}`;

/** The caller slug the foreign-tenant check uses when the integration is verified without a caller. */
const ANY_CALLER_SLUG = 'runtrail-verification';

/**
 * The checks with runtrail's platform identity, for the attachment's caller:
 * 1. each enabled scope's external id is accepted (retried for IAM eventual consistency), with
 *    SourceIdentity and session tags only when the integration sends them;
 * 2. no external id is refused (the confused deputy);
 * 3. another tenant's external id for the same integration and caller is refused (the confused
 *    deputy across runtrail tenants: a condition of `*` or `*@…` accepts it);
 * 4. the scope the attachment leaves off is refused (a warning only: the seeds' "any stack" policy
 *    legitimately accepts both scopes).
 * Without a caller only 2 and 3 run: there is no external id that should work yet.
 */
export async function platformChecks(
  sts: StsGateway,
  subject: Subject,
  policy: RetryPolicy,
  platformRoot: string,
): Promise<CheckResults> {
  const results: CheckResults = { checks: [], eventualConsistencySuspected: false };
  let reachable = false;
  if (subject.caller) {
    for (const scope of subject.scopes) {
      reachable =
        (await scopeChecks(sts, subject, subject.caller, scope, policy, platformRoot, results)) || reachable;
    }
  }
  results.checks.push(await confusedDeputyCheck(sts, subject, platformRoot));
  results.checks.push(await foreignTenantCheck(sts, subject, platformRoot));
  if (subject.caller && subject.otherScope && reachable)
    results.checks.push(await separationCheck(sts, subject, subject.caller, subject.otherScope));
  return results;
}

/** One short assume of the role with `externalId` (none: without one), for the checks that expect a refusal. */
function assumeWith(sts: StsGateway, subject: Subject, externalId?: string): Promise<AssumeOutcome> {
  const { roleArn, region } = subject.integration;
  return sts.assumeRole({ roleArn, region, sessionName: sessionName(), durationSeconds: 900, externalId });
}

/** Confused deputy: runtrail's identity without any external id must be refused. */
export async function confusedDeputyCheck(
  sts: StsGateway,
  subject: Subject,
  platformRoot: string,
): Promise<VerifyCheck> {
  const { roleArn } = subject.integration;
  const outcome = await assumeWith(sts, subject);
  if (!outcome.ok) return pass('confused-deputy', 'assuming the role without an external id is refused');
  return fail(
    'confused-deputy',
    `runtrail's platform account (${platformRoot}) can assume ${roleArn} WITHOUT an external id. Then anyone who can make ` +
      'runtrail use this role ARN (another runtrail account, for instance) could act in your AWS account: the confused deputy ' +
      "problem. Add a condition on sts:ExternalId to the statement that trusts runtrail's platform account (see the suggested statement).",
  );
}

/** Another tenant's external id (an account slug no tenant can have) must be refused. */
async function foreignTenantCheck(
  sts: StsGateway,
  subject: Subject,
  platformRoot: string,
): Promise<VerifyCheck> {
  const { integration, caller } = subject;
  const id = foreignExternalId({
    integrationId: integration.id,
    callerSlug: caller?.slug ?? ANY_CALLER_SLUG,
    scope: subject.scopes[0] ?? 'read',
  });
  const outcome = await assumeWith(sts, subject, id);
  if (!outcome.ok) return pass('foreign-external-id', "another runtrail account's external id is refused");
  return fail(
    'foreign-external-id',
    `runtrail's platform account (${platformRoot}) can assume ${integration.roleArn} with the external id ${id}, which ` +
      `belongs to no account of yours: the trust policy accepts any runtrail account's external id (a condition such as "*" ` +
      `or "*@…"), so another runtrail tenant could register this role and receive its credentials. Match sts:ExternalId on ` +
      `ids that start with "${integration.account}@" (see the suggested statement).`,
  );
}

async function scopeChecks(
  sts: StsGateway,
  subject: Subject,
  caller: SubjectCaller,
  scope: Scope,
  policy: RetryPolicy,
  platformRoot: string,
  results: CheckResults,
) {
  const { integration } = subject;
  const base: AssumeRoleInput = {
    roleArn: integration.roleArn,
    region: integration.region,
    sessionName: sessionName(),
    durationSeconds: integration.durationSeconds,
    externalId: externalId({
      account: integration.account,
      integrationId: integration.id,
      callerSlug: caller.slug,
      scope,
    }),
  };
  const check = `assume-with-external-id:${scope}`;
  const { outcome, attempts } = await withRetry(policy, () =>
    sts.assumeRole({ ...base, sessionName: sessionName() }),
  );
  if (!outcome.ok) {
    const propagation = outcome.code === 'AccessDenied' && attempts > 1;
    results.eventualConsistencySuspected ||= propagation;
    results.checks.push(
      fail(
        check,
        `runtrail's platform account (${platformRoot}) could not assume ${integration.roleArn} with the ${scope} external id ` +
          `${base.externalId} for ${integration.durationSeconds} s (${describeFailure(outcome)}). ` +
          (outcome.code === 'ValidationError'
            ? "STS refused the request itself: if it names DurationSeconds, lower the integration's duration or raise the role's maximum session duration."
            : `The role's trust policy must trust ${platformRoot} for sts:AssumeRole with this external id (see the suggested statement).`) +
          (propagation
            ? ` runtrail retried ${attempts} times over ${(retryBudgetMs(policy) / 1000).toFixed(1)} s in case IAM had not yet propagated a new role or trust policy (IAM is eventually consistent); if you created or changed the role moments ago, verify again in a minute.`
            : ''),
      ),
    );
    return false;
  }
  results.checks.push(
    pass(
      check,
      attempts > 1
        ? `assumed with the ${scope} external id after ${attempts} attempts: the first ones were refused while IAM propagated the role or its trust policy (eventual consistency)`
        : `assumed with the ${scope} external id`,
    ),
  );
  if (integration.sourceIdentity) {
    const withSource = await sts.assumeRole({
      ...base,
      sessionName: sessionName(),
      sourceIdentity: `verify-${ulid()}`,
    });
    results.checks.push(
      withSource.ok
        ? pass(`set-source-identity:${scope}`, 'sts:SetSourceIdentity is allowed')
        : fail(
            `set-source-identity:${scope}`,
            `SourceIdentity is on for this integration but the trust policy does not allow sts:SetSourceIdentity (${describeFailure(withSource)}). Add "sts:SetSourceIdentity" to the Action of the statement trusting ${platformRoot} (see the suggested statement), or turn sourceIdentity off.`,
          ),
    );
  }
  if (integration.sessionTagging) {
    const tags = sessionTags({
      run: ulid(),
      caller: caller.id,
      space: caller.spaceId,
      account: integration.account,
      scope,
    });
    const tagged = await sts.assumeRole({ ...base, sessionName: sessionName(), tags });
    results.checks.push(
      tagged.ok
        ? pass(`tag-session:${scope}`, 'sts:TagSession is allowed')
        : fail(
            `tag-session:${scope}`,
            `session tagging is on but the trust policy does not allow sts:TagSession (${describeFailure(tagged)}). Add "sts:TagSession" to the Action of the statement trusting ${platformRoot} (see the suggested statement), or turn session tagging off.`,
          ),
    );
  }
  return true;
}

async function separationCheck(
  sts: StsGateway,
  subject: Subject,
  caller: SubjectCaller,
  other: Scope,
): Promise<VerifyCheck> {
  const { integration } = subject;
  const id = externalId({
    account: integration.account,
    integrationId: integration.id,
    callerSlug: caller.slug,
    scope: other,
  });
  const outcome = await assumeWith(sts, subject, id);
  if (!outcome.ok)
    return pass('scope-separation', `the ${other} external id is refused, so read and write are separated`);
  return warn(
    'scope-separation',
    `the role can also be assumed with the ${other} external id (${id}), which this attachment does not enable: read and write are not separated. ` +
      "If you want them separated, match sts:ExternalId with StringEquals on exactly the enabled scopes' external ids (see the suggested statement).",
  );
}

/** `arn:<partition>:iam::<platform account>:root`. */
export function platformRootOf(roleArn: string, platformAccountId: string): string {
  return `arn:${partitionOf(roleArn)}:iam::${platformAccountId}:root`;
}
