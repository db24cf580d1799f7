import {
  phase,
  publicEcJwk,
  runType,
  workerId,
  accountSlug,
  awsRegion,
  callerSlug,
  callerType,
  integrationMode,
  labels,
  roleArn,
  spaceId,
  text,
  ulid,
} from '@runtrail/contracts';
import { RESERVED_ACCOUNT_SLUGS } from '@runtrail/aws-identity';
import { API_KEY_ROLES } from '../storage/api-key.entity';
import { z } from 'zod';

// The request bodies of the REST API: validation and the OpenAPI document both come from here.

const name = text().trim().min(1, 'must not be empty').max(100, 'at most 100 characters');

export const createAccountBody = z.strictObject({
  slug: accountSlug.refine((slug) => !RESERVED_ACCOUNT_SLUGS.includes(slug), {
    message: "is reserved by runtrail (it proves trust policies refuse other accounts' external ids)",
  }),
  adminKeyName: name.default('bootstrap admin'),
});

export const createSpaceBody = z.strictObject({
  id: spaceId,
  name: text().trim().min(1).max(200),
  parent: spaceId.default('root'),
});

export const createApiKeyBody = z.strictObject({
  name,
  role: z.enum(API_KEY_ROLES, { error: 'must be admin, reader or scheduler' }),
  spaceSubtree: spaceId.nullable().default(null),
});

export const registerCallerBody = z.strictObject({
  type: callerType,
  slug: callerSlug,
  spaceId: spaceId.default('root'),
  labels: labels.default([]),
});

export const updateCallerBody = z.strictObject({
  spaceId: spaceId.optional(),
  labels: labels.optional(),
});

/** STS's own rule for an external id; runtrail's generated ones always satisfy it. */
const customExternalId = z
  .string()
  .regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be 2-1224 characters of [\\w+=,.@:/-] (STS ExternalId)');

const integrationFields = {
  name,
  roleArn,
  durationSeconds: z
    .number({ error: 'must be a whole number of seconds' })
    .int('must be a whole number of seconds')
    .min(900, 'must be at least 900 seconds (STS minimum)')
    .max(43200, 'must be at most 43200 seconds (STS maximum)'),
  region: awsRegion.nullable(),
  labels,
  spaceId,
  mode: integrationMode,
  sessionTagging: z.boolean(),
  sourceIdentity: z.boolean(),
  customExternalId: customExternalId.nullable(),
};

/** A whole integration as stored; create and update both end up checked by this. */
export const integrationFieldsSchema = z.strictObject(integrationFields).superRefine((value, ctx) => {
  if (value.customExternalId !== null && value.mode !== 'worker') {
    ctx.addIssue({
      code: 'custom',
      path: ['customExternalId'],
      message: "is allowed only in worker mode (platform and oidc modes use runtrail's external id)",
    });
  }
});
export type IntegrationFields = z.output<typeof integrationFieldsSchema>;

export const createIntegrationBody = z.strictObject({
  ...integrationFields,
  durationSeconds: integrationFields.durationSeconds.default(3600),
  region: integrationFields.region.default(null),
  labels: labels.default([]),
  spaceId: spaceId.default('root'),
  mode: integrationMode.default('platform'),
  sessionTagging: z.boolean().default(false),
  sourceIdentity: z.boolean().default(false),
  customExternalId: integrationFields.customExternalId.default(null),
});

export const updateIntegrationBody = z.strictObject(integrationFields).partial();

export const attachBody = z
  .strictObject({ callerId: ulid, read: z.boolean().default(true), write: z.boolean().default(true) })
  .refine((v) => v.read || v.write, {
    path: ['read'],
    message: 'at least one of read and write must be true',
  });

export const updateAttachmentBody = z.strictObject({
  read: z.boolean().optional(),
  write: z.boolean().optional(),
});

export const listQuery = z.object({
  limit: z.coerce.number().int().min(1, 'must be 1-100').max(100, 'must be 1-100').default(20),
  cursor: text().max(64).optional(),
  label: z.union([text().max(128), z.array(text().max(128)).max(50)]).optional(),
});

export const deleteQuery = z.object({
  force: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false'),
});

const queryFlag = z.enum(['true', 'false'], { error: 'must be true or false' });

/**
 * `GET /v1/integrations/{id}/external-ids`: the caller by id, or by stack or module slug (as the
 * provider's data source names it), and the scopes the statement should allow (both by default).
 */
export const externalIdsQuery = z
  .strictObject({
    callerId: ulid.optional(),
    stack: callerSlug.optional(),
    module: callerSlug.optional(),
    read: queryFlag.default('true'),
    write: queryFlag.default('true'),
  })
  .superRefine((q, ctx) => {
    const given = [q.callerId, q.stack, q.module].filter((v) => v !== undefined).length;
    if (given !== 1)
      ctx.addIssue({
        code: 'custom',
        path: ['callerId'],
        message: 'give exactly one of callerId, stack or module',
      });
    if (q.read === 'false' && q.write === 'false')
      ctx.addIssue({
        code: 'custom',
        path: ['read'],
        message: 'at least one of read and write must be true',
      });
  });

/** `PATCH /v1/account`: the account's own settings. */
export const updateAccountBody = z.strictObject({
  /**
   * The `aud` of the account's OIDC tokens (its AWS OIDC provider's client id); null goes back to
   * the issuer's default, its host name (as Spacelift does).
   */
  oidcAudience: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(255, 'at most 255 characters')
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
    .nullable(),
});

/**
 * `POST /v1/runs`: a scheduler announces a run. The caller is named by id or by type and slug;
 * account and space come from the registry, never from the request. `runId` may be chosen by the
 * scheduler (a ULID), so that a retried request finds its run instead of making a second one.
 */
export const createRunBody = z
  .strictObject({
    runId: ulid.optional(),
    callerId: ulid.optional(),
    caller: z.strictObject({ type: callerType, slug: callerSlug }).optional(),
    runType: runType.default('TRACKED'),
    workerId,
    /** The worker's one-run public key (P-256 JWK): every delivery of the run is sealed to it. */
    workerPublicKey: publicEcJwk,
  })
  .superRefine((v, ctx) => {
    if ((v.callerId === undefined) === (v.caller === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['callerId'],
        message: 'give exactly one of callerId or caller {type, slug}',
      });
  });

/** `POST /v1/runs/{runId}/phases`: the run entered a phase (the time is the server's). */
export const enterPhaseBody = z.strictObject({ phase });
