// Frozen: v1 subjects and fields may gain optional members; anything breaking is a new major.
import { z } from 'zod';
import { defineEvent } from '../lib/define';
import { runDeliverySubjects } from './worker-consumer';
import {
  callerSlug,
  callerType,
  compactJwe,
  integrationMode,
  isoDateTime,
  phase,
  runType,
  scope,
  spaceId,
  ulid,
  workerId,
} from '../lib/primitives';

/**
 * `deliveries.v1.<workerId>.<runId>`: one integration's credentials for one run phase, sealed to the
 * worker's key (JWE ECDH-ES+A256KW / A256GCM). Only the `sealed` part holds secrets.
 */
export const deliverySchema = z.object({
  runId: ulid,
  workerId,
  phase,
  scope,
  integrationId: ulid,
  mode: integrationMode,
  sealed: compactJwe,
  expiresAt: isoDateTime,
  /**
   * The run's context (not secret), so the worker can give the command `RUNTRAIL_*` and
   * `TF_VAR_runtrail_run_id` without being told it otherwise. Absent in deliveries of brokers that
   * predate it.
   */
  caller: z.object({ type: callerType, slug: callerSlug }).optional(),
  spaceId: spaceId.optional(),
  runType: runType.optional(),
});
export type Delivery = z.infer<typeof deliverySchema>;

export const DeliveryEvent = defineEvent({
  name: 'deliveries.v1',
  pattern: 'deliveries.v1.*.*',
  stream: 'DELIVERIES',
  schema: deliverySchema,
  subject: (e) => runDeliverySubjects(e.workerId, e.runId).delivery,
  msgId: (e) => `${e.runId}:${e.phase}:${e.integrationId}`,
});

/**
 * What a delivery's `sealed` JWE contains once opened by the worker. Never published in the clear.
 */
const temporaryCredentials = z.object({
  accessKeyId: z.string(),
  secretAccessKey: z.string(),
  sessionToken: z.string(),
  expiration: isoDateTime,
  assumedRoleArn: z.string(),
  region: z.string().nullable(),
});

export const deliveryPlaintextSchema = z.discriminatedUnion('mode', [
  temporaryCredentials.extend({ mode: z.literal('platform') }),
  temporaryCredentials.extend({ mode: z.literal('oidc'), webIdentityToken: z.string(), roleArn: z.string() }),
  z.object({
    mode: z.literal('worker'),
    roleArn: z.string(),
    externalId: z.string(),
    sessionName: z.string(),
    /** Only when the integration sends SourceIdentity (`sts:SetSourceIdentity` in the trust policy). */
    sourceIdentity: z.string().optional(),
    durationSeconds: z.number().int(),
    region: z.string().nullable(),
  }),
]);
export type DeliveryPlaintext = z.infer<typeof deliveryPlaintextSchema>;
