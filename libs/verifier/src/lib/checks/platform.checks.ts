import { externalId, partitionOf, sessionTags } from '@runtrail/aws-identity';
import type { Scope, VerifyCheck } from '@runtrail/contracts';
import { ulid } from 'ulid';
import type { AssumeOutcome, AssumeRoleInput, StsGateway } from '../sts/sts.gateway';
import { retryBudgetMs, withRetry, type RetryPolicy } from './retry.policy';
import { fail, pass, warn, type Subject } from './verification.subject';

/** What the platform-identity checks found. */
export interface CheckResults {
  checks: VerifyCheck[];
  /** A positive check ran out of retries on AccessDenied, which is what an unpropagated role looks like. */
  eventualConsistencySuspected: boolean;
}

const describeFailure = (o: AssumeOutcome) => (o.ok ? '' : `STS answered ${o.code}: ${o.message}`);
const sessionName = () => `runtrail-verify-${ulid()}`;

/**
 * Checks 1-4 with runtrail's platform identity: assume with the right external id per scope (with
 * retries for eventual consistency), SourceIdentity and session tags allowed, no external id
 * refused (confused deputy), the other scope's external id refused (scope separation).
 */
export async function platformChecks(
  sts: StsGateway,
  subject: Subject,
  policy: RetryPolicy,
  platformRoot: string,
): Promise<CheckResults> {
  const results: CheckResults = { checks: [], eventualConsistencySuspected: false };
  let reachable = false;
  for (const scope of subject.scopes) {
    reachable = (await scopeChecks(sts, subject, scope, policy, platformRoot, results)) || reachable;
  }
  results.checks.push(await confusedDeputyCheck(sts, subject, platformRoot));
  if (subject.otherScope && reachable)
    results.checks.push(await separationCheck(sts, subject, subject.otherScope));
  return results;
}

/** Confused deputy: runtrail's identity without any external id must be refused. */
export async function confusedDeputyCheck(
  sts: StsGateway,
  subject: Subject,
  platformRoot: string,
): Promise<VerifyCheck> {
  const { roleArn, region } = subject.integration;
  const outcome = await sts.assumeRole({ roleArn, region, sessionName: sessionName(), durationSeconds: 900 });
  if (!outcome.ok) return pass('confused-deputy', 'assuming the role without an external id is refused');
  return fail(
    'confused-deputy',
    `runtrail's platform account (${platformRoot}) can assume ${roleArn} WITHOUT an external id. Then anyone who can make ` +
      'runtrail use this role ARN (another runtrail account, for instance) could act in your AWS account: the confused deputy ' +
      "problem. Add a condition on sts:ExternalId to the statement that trusts runtrail's platform account (see the suggested statement).",
  );
}

async function scopeChecks(
  sts: StsGateway,
  subject: Subject,
  scope: Scope,
  policy: RetryPolicy,
  platformRoot: string,
  results: CheckResults,
) {
  const { integration, caller } = subject;
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
          `the trust policy does not allow sts:SetSourceIdentity (${describeFailure(withSource)}). runtrail sets SourceIdentity to the run id on every session so that CloudTrail ties each call to its run; add "sts:SetSourceIdentity" to the Action of the statement trusting ${platformRoot}.`,
        ),
  );
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
            `session tagging is on but the trust policy does not allow sts:TagSession (${describeFailure(tagged)}). Add "sts:TagSession" to the Action of the statement trusting ${platformRoot}, or turn session tagging off.`,
          ),
    );
  }
  return true;
}

async function separationCheck(sts: StsGateway, subject: Subject, other: Scope): Promise<VerifyCheck> {
  const { integration, caller } = subject;
  const id = externalId({
    account: integration.account,
    integrationId: integration.id,
    callerSlug: caller.slug,
    scope: other,
  });
  const outcome = await sts.assumeRole({
    roleArn: integration.roleArn,
    region: integration.region,
    sessionName: sessionName(),
    durationSeconds: 900,
    externalId: id,
  });
  if (!outcome.ok)
    return pass('scope-separation', `the ${other} external id is refused, so read and write are separated`);
  return warn(
    'scope-separation',
    `the role can also be assumed with the ${other} external id (${id}), which this attachment does not enable: read and write are not separated. ` +
      "Match sts:ExternalId with StringEquals on exactly the enabled scopes' external ids (see the suggested statement).",
  );
}

/** `arn:<partition>:iam::<platform account>:root`. */
export function platformRootOf(roleArn: string, platformAccountId: string): string {
  return `arn:${partitionOf(roleArn)}:iam::${platformAccountId}:root`;
}
