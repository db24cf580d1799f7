// Frozen: v1 subjects and fields may gain optional members; anything breaking is a new major.
import { z } from 'zod';
import { defineRequest } from '../lib/define';
import { callerRef, spaceId } from '../lib/primitives';
import { integrationSnapshotSchema } from '../integrations/integration.schema';

export const verifyCheckSchema = z.object({
  /**
   * e.g. `assume-with-external-id:read`, `confused-deputy`, `foreign-external-id`,
   * `scope-separation`, `set-source-identity:read`, `tag-session:read`, `oidc-web-identity:read`.
   */
  check: z.string(),
  status: z.enum(['pass', 'fail', 'warn']),
  message: z.string(),
});
export type VerifyCheck = z.infer<typeof verifyCheckSchema>;

/** `verifier.v1.verify`: is this integration's trust policy safe for these callers and scopes? */
export const VerifyRoleRequest = defineRequest({
  subject: 'verifier.v1.verify',
  request: z.object({
    integration: integrationSnapshotSchema.omit({ healthy: true, version: true }),
    /** The attachment being verified; absent when only the integration itself is checked. */
    attachment: z
      .object({ caller: callerRef.extend({ spaceId }), read: z.boolean(), write: z.boolean() })
      .optional(),
    /**
     * The account's OIDC audience (`aud`), when it set one; absent means the issuer's default. The
     * broker gets the same value from `integrations.v1.resolve`, so verification and issuance agree.
     */
    oidcAudience: z.string().min(1).max(255).optional(),
  }),
  reply: z.object({
    safe: z.boolean(),
    checks: z.array(verifyCheckSchema),
    /** What is wrong, in words a person can act on; empty when safe. */
    explanation: z.string(),
    /** A trust-policy statement that would make the role safe (and warnings go away), ready to paste. */
    suggestedStatement: z.record(z.string(), z.unknown()),
    /** True when the failure looked like IAM eventual consistency and retries ran out. */
    eventualConsistencySuspected: z.boolean(),
  }),
});
export type VerifyRoleReply = z.infer<typeof VerifyRoleRequest.reply>;
