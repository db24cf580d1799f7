// Frozen: v1 subjects and fields may gain optional members; anything breaking is a new major.
import { z } from 'zod';
import { defineEvent } from '../lib/define';
import { accountSlug, isoDateTime, ulid } from '../lib/primitives';

/** `integrations.v1.health`: a re-verification changed an integration's health. */
export const integrationHealthChangedSchema = z.object({
  type: z.literal('health'),
  integrationId: ulid,
  account: accountSlug,
  healthy: z.boolean(),
  reasons: z.array(z.string()),
  checkedAt: isoDateTime,
});
export type IntegrationHealthChanged = z.infer<typeof integrationHealthChangedSchema>;

export const IntegrationHealthChangedEvent = defineEvent({
  name: 'integrations.v1.health',
  stream: 'INTEGRATIONS',
  schema: integrationHealthChangedSchema,
  msgId: (e) => `${e.integrationId}:health:${e.checkedAt}`,
});
