import { z } from 'zod';
import { policyDocumentSchema } from '../policy/policy-document.schema';

const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');
const iamName = z
  .string()
  .regex(/^[\w+=,.@-]{1,64}$/, 'must be 1-64 characters of letters, digits and +=,.@_-');
const iamPath = z
  .string()
  .regex(/^\/([\x21-\x7e]*\/)?$/, "must start and end with '/' (e.g. '/' or '/runtrail/')")
  .default('/');
const isoDate = z.iso.datetime({ offset: true }).optional();
/** A policy document as a JSON object, or as its JSON text. */
const policy = z.union([policyDocumentSchema, z.string().min(2)]);
const policyArn = z.string().regex(/^arn:aws:iam::(aws|\d{12}):policy\/.+/, 'must be an IAM policy ARN');
const tags = z.record(z.string().min(1).max(128), z.string().max(256)).default({});

const accessKey = z.object({
  accessKeyId: z
    .string()
    .regex(/^AKIA[A-Z0-9]{16}$/, 'must be AKIA followed by 16 uppercase letters or digits'),
  secretAccessKey: z
    .string()
    .regex(/^[\x21-\x7e]{16,128}$/, 'must be 16-128 printable characters without spaces'),
  status: z.enum(['Active', 'Inactive']).default('Active'),
});

const user = z.object({
  name: iamName,
  path: iamPath,
  userId: z
    .string()
    .regex(/^AIDA[A-Z0-9]{12,}$/, 'must be AIDA followed by uppercase letters or digits')
    .optional(),
  accessKeys: z.array(accessKey).default([]),
  inlinePolicies: z.record(z.string().min(1), policy).default({}),
  attachedPolicyArns: z.array(policyArn).default([]),
  tags,
  createDate: isoDate,
});

const role = z.object({
  name: iamName,
  path: iamPath,
  roleId: z
    .string()
    .regex(/^AROA[A-Z0-9]{12,}$/, 'must be AROA followed by uppercase letters or digits')
    .optional(),
  description: z.string().max(1000).optional(),
  maxSessionDuration: z.number().int().min(3600).max(43200).default(3600),
  assumeRolePolicy: policy,
  inlinePolicies: z.record(z.string().min(1), policy).default({}),
  attachedPolicyArns: z.array(policyArn).default([]),
  tags,
  createDate: isoDate,
});

const managedPolicy = z.object({
  name: iamName,
  path: iamPath,
  description: z.string().optional(),
  document: policy,
  createDate: isoDate,
});

const oidcProvider = z.object({
  url: z
    .string()
    .regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, 'must be an https:// URL (http:// only for loopback hosts)'),
  clientIds: z.array(z.string().min(1).max(255)).default([]),
  thumbprints: z.array(z.string().regex(/^[0-9a-fA-F]{40}$/, 'must be 40 hex characters')).default([]),
  createDate: isoDate,
});

const trail = z.object({
  /** The S3 bucket CloudTrail delivers this account's log files to (path-style or virtual-host). */
  bucket: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      'must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens',
    ),
  /** Regions whose events the trail delivers; absent: every region (a multi-region trail). */
  regions: z.array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be a region like us-east-1')).optional(),
});

const account = z.object({
  id: accountId,
  alias: z.string().optional(),
  users: z.array(user).default([]),
  roles: z.array(role).default([]),
  policies: z.array(managedPolicy).default([]),
  oidcProviders: z.array(oidcProvider).default([]),
  trail: trail.optional(),
});

/**
 * The emulator's seed file: accounts with their IAM users (and access keys), roles (trust and
 * permission policies), customer managed policies and OIDC providers. See apps/aws-emulator/README.md.
 */
export const seedSchema = z
  .object({
    $schema: z.string().optional(),
    description: z.string().optional(),
    accounts: z.array(account).min(1, 'needs at least one account'),
  })
  .superRefine((seed, ctx) => {
    const ids = new Map<string, number>();
    const keys = new Map<string, string>();
    const buckets = new Map<string, number>();
    seed.accounts.forEach((a, ai) => {
      if (a.trail && buckets.has(a.trail.bucket))
        ctx.addIssue({
          code: 'custom',
          path: ['accounts', ai, 'trail', 'bucket'],
          message: `duplicates the bucket of accounts[${buckets.get(a.trail.bucket)}] (bucket names are global)`,
        });
      if (a.trail) buckets.set(a.trail.bucket, ai);
      if (ids.has(a.id))
        ctx.addIssue({
          code: 'custom',
          path: ['accounts', ai, 'id'],
          message: `duplicates accounts[${ids.get(a.id)}]`,
        });
      ids.set(a.id, ai);
      unique(
        ctx,
        a.users.map((u) => u.name.toLowerCase()),
        ['accounts', ai, 'users'],
        'user name',
      );
      unique(
        ctx,
        a.roles.map((r) => r.name.toLowerCase()),
        ['accounts', ai, 'roles'],
        'role name',
      );
      unique(
        ctx,
        a.policies.map((p) => p.name),
        ['accounts', ai, 'policies'],
        'policy name',
      );
      a.users.forEach((u, ui) =>
        u.accessKeys.forEach((k, ki) => {
          const path = ['accounts', ai, 'users', ui, 'accessKeys', ki, 'accessKeyId'];
          if (keys.has(k.accessKeyId))
            ctx.addIssue({
              code: 'custom',
              path,
              message: `duplicates the key of ${keys.get(k.accessKeyId)}`,
            });
          keys.set(k.accessKeyId, `accounts[${ai}].users[${ui}]`);
        }),
      );
    });
  });

function unique(ctx: z.RefinementCtx, names: string[], path: (string | number)[], what: string): void {
  const seen = new Set<string>();
  names.forEach((n, i) => {
    if (seen.has(n))
      ctx.addIssue({ code: 'custom', path: [...path, i, 'name'], message: `duplicate ${what} '${n}'` });
    seen.add(n);
  });
}

/** A seed as written in the file (defaults not yet applied). */
export type Seed = z.input<typeof seedSchema>;
/** A validated seed with defaults applied. */
export type ValidSeed = z.output<typeof seedSchema>;
export type SeedAccount = ValidSeed['accounts'][number];
export type SeedPolicy = z.output<typeof policy>;
