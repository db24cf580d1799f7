// Frozen: v1 subjects and fields may gain optional members; anything breaking is a new major.
import { z } from 'zod';
import { defineRequest } from '../lib/define';
import {
  accountSlug,
  callerSlug,
  callerType,
  compactJwe,
  isoDateTime,
  publicEcJwk,
  runType,
  scope,
  spaceId,
  ulid,
} from '../lib/primitives';

/**
 * The slug of a caller that can never exist: `callerSlug` refuses a leading `_`, and every stack or
 * module is registered through `callerSlug`, so no real caller has it; yet it holds no `:`, `*` or
 * `?`, so a `sub` made from it parses like any other. The verifier asks for a token for it to prove
 * a trust policy refuses callers other than the ones it names.
 */
export const NONEXISTENT_CALLER_SLUG = '_runtrail-nonexistent-caller';

/** A caller slug a token may carry: a registered caller's, or {@link NONEXISTENT_CALLER_SLUG}. */
export const tokenCallerSlug = z.union([callerSlug, z.literal(NONEXISTENT_CALLER_SLUG)]);

/**
 * A space id no space can have (space ids are `spaceId`s, which never start with `_`). The verifier
 * asks for a token of a caller in it to prove a trust policy refuses callers of other spaces.
 */
export const NONEXISTENT_SPACE_ID = '_runtrail-nonexistent-space';

/** A space id a token may carry: a real space's, or {@link NONEXISTENT_SPACE_ID}. */
export const tokenSpaceId = z.union([spaceId, z.literal(NONEXISTENT_SPACE_ID)]);

/**
 * `oidc.v1.issue` (broker and verifier only). The token is a bearer secret, so it never travels in
 * plaintext: the reply seals it to the one-shot `replyKey` the requester generated.
 */
export const IssueTokenRequest = defineRequest({
  subject: 'oidc.v1.issue',
  request: z.object({
    account: accountSlug,
    spaceId: tokenSpaceId,
    callerType,
    callerId: ulid,
    /**
     * The caller's slug, for `sub` (seed 003 names the stack by its slug) and the `callerSlug` claim.
     * Optional because the contract is frozen: a requester that predates it sends none, and the
     * issuer then puts the callerId where the slug goes, so its tokens keep their old `sub`.
     */
    callerSlug: tokenCallerSlug.optional(),
    runType,
    runId: ulid,
    scope,
    /** Principal session tags for `https://aws.amazon.com/tags`. */
    sessionTags: z.record(z.string(), z.string()).optional(),
    transitiveTagKeys: z.array(z.string()).optional(),
    /** Put the run id in `https://aws.amazon.com/source_identity`. */
    sourceIdentity: z.boolean().default(true),
    lifetimeSeconds: z.number().int().min(60).max(43200).optional(),
    /**
     * The account's audience (its AWS OIDC provider's client id); when absent, the issuer's default:
     * its host name, as Spacelift's tokens carry theirs, or `OIDC_DEFAULT_AUDIENCE` when set.
     */
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
