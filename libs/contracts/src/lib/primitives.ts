import { z } from 'zod';

/** The rule every text field states when it is refused for a control character. */
export const NO_CONTROL_CHARACTERS = 'must not contain NUL or other control characters';

// NUL, the other C0 controls, DEL and the C1 controls: never part of a name, a label or a filter;
// PostgreSQL refuses NUL outright and the rest garble logs and terminals.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const WITHOUT_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f-\u009f]*$/;

/**
 * A free-text field of a request (a name, a label, a query filter): any string without NUL or other
 * control characters. Every text field of a REST body or query is built on it (add `.max()`,
 * `.trim()` as the field needs), so the rule is stated once.
 */
export function text(): z.ZodString {
  return z.string().regex(WITHOUT_CONTROL_CHARACTERS, NO_CONTROL_CHARACTERS);
}

/** Crockford base32 ULID, as used for run, caller and integration ids. */
export const ulid = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a ULID (26 Crockford base32 characters)');

/** Account slug: lowercase letters, digits and dashes, 1..40 characters, starting with a letter. */
export const accountSlug = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be 1-40 lowercase letters, digits or dashes, starting with a letter');

/** Stack/module slug. */
export const callerSlug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be 1-64 lowercase letters, digits, dashes or underscores');

/**
 * Space id: `root`, a plain lowercase slug (`dev`), or Spacelift's shape `<name>-<ULID>` with the
 * ULID in upper case (`production-01HND497T9JKR76MR3KA2CDJHP`); at most 64 characters.
 */
export const spaceId = z
  .string()
  .max(64, 'must be a space id of at most 64 characters')
  .regex(
    /^(?:[a-z0-9][a-z0-9_-]*|[a-z0-9][a-z0-9_-]*-[0-9A-Z]{26})$/,
    'must be a space id: a lowercase slug (root, dev) or <name>-<ULID> as Spacelift writes them (production-01HND497T9JKR76MR3KA2CDJHP)',
  );

export const RUN_TYPES = ['PROPOSED', 'TRACKED', 'TASK', 'TESTING', 'DESTROY'] as const;
export const runType = z.enum(RUN_TYPES);
export type RunType = z.infer<typeof runType>;

export const PHASES = ['QUEUED', 'INITIALIZING', 'PLANNING', 'APPLYING', 'PERFORMING', 'FINISHED', 'FAILED', 'STOPPED'] as const;
export const phase = z.enum(PHASES);
export type Phase = z.infer<typeof phase>;

export const SCOPES = ['read', 'write'] as const;
export const scope = z.enum(SCOPES);
export type Scope = z.infer<typeof scope>;

/** The scope of credentials a phase needs, or null when the phase needs none. */
export function scopeOfPhase(p: Phase): Scope | null {
  if (p === 'PLANNING') return 'read';
  if (p === 'APPLYING' || p === 'PERFORMING') return 'write';
  return null;
}

/** A phase after which a run never needs credentials again. */
export function isTerminalPhase(p: Phase): boolean {
  return p === 'FINISHED' || p === 'FAILED' || p === 'STOPPED';
}

export const CALLER_TYPES = ['stack', 'module'] as const;
export const callerType = z.enum(CALLER_TYPES);
export type CallerType = z.infer<typeof callerType>;

export const INTEGRATION_MODES = ['platform', 'oidc', 'worker'] as const;
export const integrationMode = z.enum(INTEGRATION_MODES);
export type IntegrationMode = z.infer<typeof integrationMode>;

export const workerId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, dashes or underscores (a NATS subject token)');

/** An IAM role ARN in one of the supported partitions. */
export const roleArn = z
  .string()
  .regex(
    /^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/,
    'must be an IAM role ARN: arn:<aws|aws-cn|aws-us-gov>:iam::<12-digit account>:role/<name>',
  );

export const awsRegion = z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/, 'must be an AWS region such as eu-west-1');

export const isoDateTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' });

export const labels = z
  .array(text().min(1).max(128).regex(/^[^\s,]+$/, 'a label has no spaces or commas'))
  .max(50, 'at most 50 labels');

/** A public EC P-256 JWK. Private parameters are refused so a key pair cannot leak through an event. */
export const publicEcJwk = z.strictObject({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url P-256 coordinate'),
  y: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url P-256 coordinate'),
  kid: z.string().max(128).optional(),
  use: z.literal('enc').optional(),
  alg: z.literal('ECDH-ES+A256KW').optional(),
});
export type PublicEcJwk = z.infer<typeof publicEcJwk>;

/** A compact JWE (five base64url parts). Sealed content is the only way secrets travel on NATS. */
export const compactJwe = z
  .string()
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'must be a compact JWE');

export const callerRef = z.object({
  type: callerType,
  id: ulid,
  slug: callerSlug,
});
export type CallerRef = z.infer<typeof callerRef>;
