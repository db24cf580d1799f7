// Frozen: v1 subjects and fields may gain optional members; anything breaking is a new major.
import { z } from 'zod';
import { defineRequest } from '../lib/define';
import { accountSlug, callerRef, callerType, scope, spaceId, ulid } from '../lib/primitives';
import { integrationSnapshotSchema } from './integration.schema';

/** `integrations.v1.resolve`: which integrations apply to caller X for scope S (asked by the broker). */
export const ResolveIntegrationsRequest = defineRequest({
  subject: 'integrations.v1.resolve',
  request: z.object({
    account: accountSlug,
    callerType,
    callerId: ulid,
    scope,
  }),
  reply: z.object({
    /** The account's OIDC audience when it set one (absent: the issuer's default); see `verifier.v1.verify`. */
    oidcAudience: z.string().min(1).max(255).optional(),
    caller: callerRef.extend({ spaceId, labels: z.array(z.string()) }),
    integrations: z.array(
      z.object({
        integration: integrationSnapshotSchema,
        attachmentId: ulid,
        /** The external id for this attachment and scope (runtrail's format, or the custom one in worker mode). */
        externalId: z.string(),
      }),
    ),
  }),
});
export type ResolveIntegrationsReply = z.infer<typeof ResolveIntegrationsRequest.reply>;
