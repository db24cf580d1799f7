import type { JWTPayload } from 'jose';
import { AwsApiError } from '../../http/aws-api.error';
import { unverifiedIssuer, verifyWebIdentityToken } from '../../oidc/verify-web-identity-token';
import { webIdentityUser } from '../../trail/user-identity';
import type { ActionContext, ActionDef, ActionResult } from '../action.types';
import { requestContext } from '../caller-context';
import { requestParametersOf } from '../request-parameters';
import { findRole } from './assume-role.action';
import { checkTrust } from './check-trust';
import { issueSession, roleResource, sessionResponseElements, sessionResult } from './issue-session';
import { durationParam, parseRoleArn, RULES, sessionPoliciesParam, stringParam } from './sts-params';

const TAGS_CLAIM = 'https://aws.amazon.com/tags';
const SOURCE_IDENTITY_CLAIM = 'https://aws.amazon.com/source_identity';
const NOT_AUTHORIZED = 'Not authorized to perform sts:AssumeRoleWithWebIdentity';

/**
 * sts:AssumeRoleWithWebIdentity (unsigned). The token's issuer must be an OIDC provider
 * registered in the role's account; the token is verified against the issuer's JWKS, then the
 * trust policy must allow the provider as Federated principal with its `<provider>:sub` /
 * `:aud` / `:amr` conditions. The AWS tags and source_identity claims become session tags and
 * the session's SourceIdentity, as in AWS.
 */
export const assumeRoleWithWebIdentityAction: ActionDef = {
  service: 'sts',
  name: 'AssumeRoleWithWebIdentity',
  readOnly: true,
  unsigned: true,
  handle: assumeRoleWithWebIdentity,
  onFailure: (ctx) => {
    const target = parseRoleArn(ctx.params.get('RoleArn') ?? '');
    const recipients = target && ctx.core.iam.account(target.accountId) ? [target.accountId] : [];
    return {
      requestParameters: requestParametersOf(ctx.params),
      responseElements: null,
      recipients,
      userIdentity: webIdentityUser(null, null, null),
    };
  },
};

async function assumeRoleWithWebIdentity(ctx: ActionContext): Promise<ActionResult> {
  const roleArn = stringParam(ctx.params, 'RoleArn', 'roleArn', true) ?? '';
  const sessionName = stringParam(ctx.params, 'RoleSessionName', 'roleSessionName', true) ?? '';
  const token = stringParam(ctx.params, 'WebIdentityToken', 'webIdentityToken', true) ?? '';
  const duration = durationParam(ctx.params);

  const issuer = unverifiedIssuer(token);
  const role = findRole(ctx, roleArn);
  if (!role) throw new AwsApiError('AccessDenied', NOT_AUTHORIZED, 403);
  const provider = ctx.core.iam.providerForIssuer(role.accountId, issuer);
  if (!provider)
    throw new AwsApiError(
      'InvalidIdentityToken',
      `No OpenIDConnect provider found in your account for ${issuer}`,
    );
  const identity = (audience: string | null, subject: string | null) =>
    webIdentityUser(provider.arn, audience, subject);

  let verified: { claims: JWTPayload; audience: string };
  try {
    verified = await verifyWebIdentityToken(token, issuer, provider, ctx.core.oidc, ctx.now);
  } catch (error) {
    if (error instanceof AwsApiError) throw withIdentity(error, identity(null, null));
    throw error;
  }
  const { claims, audience } = verified;
  const subject = typeof claims.sub === 'string' ? claims.sub : '';
  const fail = (error: AwsApiError) => withIdentity(error, identity(audience, subject));

  const sourceIdentity = sourceIdentityClaim(claims, fail);
  const { tags, transitiveTagKeys } = tagsClaim(claims, fail);
  const passesTags = Object.keys(tags).length > 0;
  const durationSeconds = duration ?? 3600;
  if (durationSeconds > role.maxSessionDuration) {
    throw fail(
      new AwsApiError(
        'ValidationError',
        'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
      ),
    );
  }
  const policies = sessionPoliciesParam(ctx.params, ctx.core.iam, role.accountId);
  const p = provider.hostPath;
  const azp = typeof claims['azp'] === 'string' ? claims['azp'] : null;
  const amr = claims['amr'];
  const context = requestContext(ctx)
    .set(`${p}:sub`, subject)
    .set(`${p}:aud`, azp ?? audience)
    .set(`${p}:oaud`, azp ? audience : null)
    .setMany(`${p}:amr`, Array.isArray(amr) ? amr.map(String) : typeof amr === 'string' ? [amr] : null)
    .set('aws:FederatedProvider', provider.arn)
    .set('sts:RoleSessionName', sessionName)
    .set('sts:SourceIdentity', sourceIdentity)
    .tags('aws:RequestTag', tags)
    .setMany('aws:TagKeys', passesTags ? Object.keys(tags) : null)
    .setMany('sts:TransitiveTagKeys', transitiveTagKeys.length ? transitiveTagKeys : null)
    .build();
  const actions = [
    'sts:AssumeRoleWithWebIdentity',
    ...(passesTags ? ['sts:TagSession'] : []),
    ...(sourceIdentity ? ['sts:SetSourceIdentity'] : []),
  ];
  const trust = checkTrust(role, { accountId: null, arns: [], federated: provider.arn }, actions, context);
  if (!trust.ok) throw fail(new AwsApiError('AccessDenied', NOT_AUTHORIZED, 403));

  const issued = issueSession(ctx.core.sessions, {
    role,
    sessionName,
    durationSeconds,
    now: ctx.now,
    sourceIdentity,
    tags,
    transitiveTagKeys,
    chained: false,
    via: 'AssumeRoleWithWebIdentity',
    webIdentity: { providerArn: provider.arn, subject, audience },
    sessionPolicies: policies.policies,
    packedChars: policies.size,
  });
  return {
    result: {
      ...sessionResult(issued),
      SubjectFromWebIdentityToken: subject,
      Audience: audience,
      Provider: provider.arn,
    },
    trail: {
      userIdentity: identity(audience, subject),
      requestParameters: requestParametersOf(ctx.params),
      responseElements: {
        ...sessionResponseElements(issued),
        subjectFromWebIdentityToken: subject,
        provider: provider.arn,
        audience,
      },
      resources: [roleResource(role)],
      recipients: [role.accountId],
    },
  };
}

function withIdentity(error: AwsApiError, userIdentity: ReturnType<typeof webIdentityUser>): AwsApiError {
  return new AwsApiError(error.code, error.message, error.status, {
    ...error.options,
    trail: { ...error.options.trail, userIdentity },
  });
}

function sourceIdentityClaim(claims: JWTPayload, fail: (e: AwsApiError) => AwsApiError): string | null {
  const value = claims[SOURCE_IDENTITY_CLAIM];
  if (value === undefined) return null;
  const rule = RULES.sourceIdentity;
  if (
    typeof value !== 'string' ||
    value.length < rule.min ||
    value.length > rule.max ||
    !rule.pattern.test(value)
  ) {
    throw fail(
      new AwsApiError(
        'InvalidIdentityToken',
        `The ${SOURCE_IDENTITY_CLAIM} claim is not a valid source identity.`,
      ),
    );
  }
  return value;
}

// `{"principal_tags": {"k": ["v"]}, "transitive_tag_keys": ["k"]}`, as AWS reads it.
function tagsClaim(
  claims: JWTPayload,
  fail: (e: AwsApiError) => AwsApiError,
): { tags: Record<string, string>; transitiveTagKeys: string[] } {
  const claim = claims[TAGS_CLAIM];
  if (claim === undefined) return { tags: {}, transitiveTagKeys: [] };
  const bad = () => fail(new AwsApiError('InvalidIdentityToken', `The ${TAGS_CLAIM} claim is malformed.`));
  if (typeof claim !== 'object' || claim === null) throw bad();
  const principalTags = (claim as Record<string, unknown>)['principal_tags'] ?? {};
  const transitive = (claim as Record<string, unknown>)['transitive_tag_keys'] ?? [];
  if (typeof principalTags !== 'object' || principalTags === null || !Array.isArray(transitive)) throw bad();
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(principalTags)) {
    const value = Array.isArray(v) ? v[0] : v;
    if (typeof value !== 'string') throw bad();
    tags[k] = value;
  }
  const transitiveTagKeys = transitive.map(String);
  if (transitiveTagKeys.some((k) => !(k in tags))) throw bad();
  return { tags, transitiveTagKeys };
}
