// Frozen: v1 subjects and fields may gain optional members; anything breaking is a new major.
import { z } from 'zod';
import { defineEvent } from '../lib/define';
import { integrationSnapshotSchema } from './integration.schema';

export const integrationChangedSchema = z.object({
  type: z.enum(['created', 'updated', 'deleted']),
  integration: integrationSnapshotSchema,
});
export type IntegrationChanged = z.infer<typeof integrationChangedSchema>;

/** `integrations.v1.created|updated|deleted`. */
export const IntegrationChangedEvent = defineEvent({
  name: 'integrations.v1.changed',
  pattern: 'integrations.v1.{created,updated,deleted}',
  stream: 'INTEGRATIONS',
  schema: integrationChangedSchema,
  subject: (e) => `integrations.v1.${e.type}`,
  msgId: (e) => `${e.integration.id}:${e.integration.version}:${e.type}`,
});
