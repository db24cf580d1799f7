// Frozen: v1 subjects and fields may gain optional members; anything breaking is a new major.
import { z } from 'zod';
import { defineRequest } from '../lib/define';
import { accountSlug, callerType, compactJwe, isoDateTime, publicEcJwk, runType, scope, spaceId, ulid } from '../lib/primitives';

/**
 * `oidc.v1.issue` (broker and verifier only). The token is a bearer secret, so it never travels in
 * plaintext: the reply seals it to the one-shot `replyKey` the requester generated.
 */
export const IssueTokenRequest = defineRequest({
  subject: 'oidc.v1.issue',
  request: z.object({
    account: accountSlug,
    spaceId,
    callerType,
    callerId: ulid,
    runType,
    runId: ulid,
    scope,
    /** Principal session tags for `https://aws.amazon.com/tags`. */
    sessionTags: z.record(z.string(), z.string()).optional(),
    transitiveTagKeys: z.array(z.string()).optional(),
    /** Put the run id in `https://aws.amazon.com/source_identity`. */
    sourceIdentity: z.boolean().default(true),
    lifetimeSeconds: z.number().int().min(60).max(43200).optional(),
    /** The account's audience (its AWS OIDC provider's client id); the issuer's default when absent. */
    audience: z.string().min(1).max(255).optional(),
    /** The account's `sub` template (see libs/aws-identity); ARCHITECTURE's default when absent. */
    subjectTemplate: z.string().min(1).max(512).optional(),
    replyKey: publicEcJwk,
  }),
  reply: z.object({
    sealedToken: compactJwe,
    issuer: z.string().url(),
    audience: z.string(),
    subject: z.string(),
    kid: z.string(),
    expiresAt: isoDateTime,
  }),
});
export type IssueTokenReply = z.infer<typeof IssueTokenRequest.reply>;
