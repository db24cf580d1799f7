import { oidcSubject, sourceIdentity } from '@runtrail/aws-identity';
import type { IssueTokenRequest } from '@runtrail/contracts';
import type { z } from 'zod';
import { AWS_TAGS_CLAIM, awsTagsClaim, type AwsTagsClaim } from './aws-tags.claim';

/** An `oidc.v1.issue` request as the handler receives it (validated, defaults applied). */
export type IssueTokenInput = z.output<typeof IssueTokenRequest.request>;

/** What a token is made from: an `oidc.v1.issue` request without its reply key (a batch item). */
export type TokenRequest = Omit<IssueTokenInput, 'replyKey'>;

/** The claim STS copies into the session's `SourceIdentity`. */
export const AWS_SOURCE_IDENTITY_CLAIM = 'https://aws.amazon.com/source_identity';

/** runtrail's own claims besides the registered ones, so trust policies can condition on them. */
export const CUSTOM_CLAIMS = ['spaceId', 'callerType', 'callerSlug', 'callerId', 'runType', 'runId', 'scope'] as const;

/** Every claim a runtrail token may carry (announced in discovery's `claims_supported`). */
export const SUPPORTED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', ...CUSTOM_CLAIMS, AWS_TAGS_CLAIM, AWS_SOURCE_IDENTITY_CLAIM] as const;

/** The claims of a runtrail token. */
export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string;
  iat: number;
  nbf: number;
  exp: number;
  jti: string;
  spaceId: string;
  callerType: IssueTokenInput['callerType'];
  /** Only when the request named the slug (a requester predating `callerSlug` does not). */
  callerSlug?: string;
  callerId: string;
  runType: IssueTokenInput['runType'];
  runId: string;
  scope: IssueTokenInput['scope'];
  [AWS_TAGS_CLAIM]?: AwsTagsClaim;
  [AWS_SOURCE_IDENTITY_CLAIM]?: string;
}

export interface ClaimsContext {
  issuer: string;
  audience: string;
  /** Seconds since the epoch. */
  issuedAt: number;
  lifetimeSeconds: number;
  jti: string;
}

/**
 * The claims of one token: registered claims, runtrail's custom claims, `sub` from the account's
 * template (or ARCHITECTURE's default), and the optional AWS tags and source identity claims.
 * Returns the keys of tags dropped to fit AWS's size limit, for a log line.
 *
 * @throws RuntrailError `VALIDATION_FAILED` for a bad subject template or bad session tags.
 */
export function buildTokenClaims(request: TokenRequest, context: ClaimsContext): { claims: TokenClaims; droppedTags: string[] } {
  const { spaceId, callerType, callerId, runType, runId, scope } = request;
  // Without a slug (an older requester), the callerId stands in, so its tokens keep their old `sub`.
  const callerSlug = request.callerSlug ?? callerId;
  const sub = oidcSubject({ spaceId, callerType, callerSlug, callerId, runType, runId, scope }, request.subjectTemplate);
  const tags = awsTagsClaim(request.sessionTags, request.transitiveTagKeys);
  const claims: TokenClaims = {
    iss: context.issuer,
    sub,
    aud: context.audience,
    iat: context.issuedAt,
    nbf: context.issuedAt,
    exp: context.issuedAt + context.lifetimeSeconds,
    jti: context.jti,
    spaceId,
    callerType,
    ...(request.callerSlug === undefined ? {} : { callerSlug: request.callerSlug }),
    callerId,
    runType,
    runId,
    scope,
  };
  if (tags.claim) claims[AWS_TAGS_CLAIM] = tags.claim;
  if (request.sourceIdentity) claims[AWS_SOURCE_IDENTITY_CLAIM] = sourceIdentity(runId);
  return { claims, droppedTags: tags.dropped };
}
