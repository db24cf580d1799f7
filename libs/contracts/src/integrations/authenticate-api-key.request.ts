// Frozen: v1 subjects and fields may gain optional members; anything breaking is a new major.
import { z } from 'zod';
import { defineRequest } from '../lib/define';
import { accountSlug, spaceId } from '../lib/primitives';

/**
 * `integrations.v1.authenticate`: another service's REST API (audit) checks an API key with
 * integrations, which owns keys. The raw key never travels: only its id and the SHA-256 of its
 * secret part (what integrations stores), so a NATS reader cannot use it against a REST API.
 */
export const AuthenticateApiKeyRequest = defineRequest({
  subject: 'integrations.v1.authenticate',
  request: z.object({
    keyId: z.string().min(1).max(64),
    secretSha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be a hex SHA-256'),
  }),
  reply: z.object({
    account: accountSlug,
    /** `scheduler` keys (runs API) read like `reader` keys elsewhere. */
    role: z.enum(['admin', 'reader', 'scheduler']),
    /** Null: the whole account; otherwise the key sees only this space and its descendants. */
    spaceSubtree: spaceId.nullable(),
    /** Every space the key may see (the subtree expanded), so callers need not know the tree. */
    visibleSpaces: z.array(spaceId).nullable(),
  }),
});
export type AuthenticatedKey = z.infer<typeof AuthenticateApiKeyRequest.reply>;
