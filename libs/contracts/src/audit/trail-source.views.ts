// The JSON of audit's `/v1/audit/trail-sources` routes, shared by audit, which checks and answers
// it, and the CLI, which sends and reads it. Like every v1 shape: members may be added, never
// removed or retyped.
import { z } from 'zod';
import { awsRegion, roleArn, text } from '../lib/primitives';

const awsAccountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');
const regions = z
  .array(awsRegion)
  .min(1, 'must name at least one region')
  .max(32, 'must name at most 32 regions')
  .refine((list) => new Set(list).size === list.length, 'must not repeat a region');
const bucket = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3-63 lower-case letters, digits, dots, dashes)');
const prefix = text().min(1).max(1024).regex(/^[^*?]*$/, 'must be a key prefix without wildcards');

/** `POST /v1/audit/trail-sources`: strict, so a misspelt field is a 400 naming it. */
export const createTrailSourceBody = z
  .object({ awsAccountId, regions, roleArn, bucket: bucket.optional(), prefix: prefix.optional() })
  .strict()
  .superRefine((body, ctx) => {
    if (body.roleArn.split(':')[4] !== body.awsAccountId)
      ctx.addIssue({ code: 'custom', path: ['roleArn'], message: 'must be a role in awsAccountId (the account whose trail it reads)' });
    if (body.prefix !== undefined && body.bucket === undefined)
      ctx.addIssue({ code: 'custom', path: ['prefix'], message: 'needs a bucket (S3 delivery)' });
  });
export type CreateTrailSource = z.output<typeof createTrailSourceBody>;

/** `PATCH /v1/audit/trail-sources/{id}`: the AWS account is the source's identity and cannot change. */
export const patchTrailSourceBody = z
  .object({ regions: regions.optional(), roleArn: roleArn.optional(), bucket: bucket.nullable().optional(), prefix: prefix.nullable().optional() })
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'must change at least one field');
export type PatchTrailSource = z.output<typeof patchTrailSourceBody>;

/** One region's poll health. */
export interface TrailRegionHealth {
  region: string;
  lastSuccessfulPollAt: string | null;
  /** How far the checkpoint is behind now, in seconds (null before the first complete poll). */
  lagSeconds: number | null;
  lastError: string | null;
  lastErrorAt: string | null;
  /** New events stored from this region. */
  eventsIngested: number;
}

/** A trail source as the API answers it: no credentials (none are stored). */
export interface TrailSourceView {
  id: string;
  account: string;
  awsAccountId: string;
  regions: string[];
  roleArn: string;
  bucket: string | null;
  prefix: string | null;
  /** `<account>@trail-source@<id>`: the sts:ExternalId the reader role's trust policy must require. */
  externalId: string;
  createdAt: string;
  updatedAt: string;
  verifiedAt: string;
  health: TrailRegionHealth[];
}
