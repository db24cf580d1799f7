// Frozen: v1 subjects and fields may gain optional members; anything breaking is a new major.
import { z } from 'zod';
import { defineEvent } from '../lib/define';
import { attachmentChangedSchema, AttachmentChangedEvent } from './attachment-changed.event';
import { integrationChangedSchema, IntegrationChangedEvent } from './integration-changed.event';
import { integrationHealthChangedSchema, IntegrationHealthChangedEvent } from './integration-health-changed.event';

/**
 * Every `integrations.v1.*` event, for consumers that follow all of them with one durable consumer
 * (NATS 2.9 allows one filter subject per consumer). Publishers use the specific contracts.
 */
export const integrationEventSchema = z.discriminatedUnion('type', [
  integrationChangedSchema,
  attachmentChangedSchema,
  integrationHealthChangedSchema,
]);
export type IntegrationEvent = z.infer<typeof integrationEventSchema>;

export const IntegrationEvents = defineEvent({
  name: 'integrations.v1.*',
  pattern: 'integrations.v1.*',
  stream: 'INTEGRATIONS',
  schema: integrationEventSchema,
  subject: (e) => `integrations.v1.${e.type}`,
  msgId: (e) => {
    if (e.type === 'health') return IntegrationHealthChangedEvent.msgId(e);
    if ('integration' in e) return IntegrationChangedEvent.msgId(e);
    return AttachmentChangedEvent.msgId(e);
  },
});
