import { baseServiceEnv, envInt, envUrl, serviceName } from '@runtrail/config';
import { z } from 'zod';

const AWS_ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2,}(-[a-z]+)+-\d+$/;

/** `AUDIT_POLL_TARGETS`: `<awsAccountId>:<region>` pairs, comma-separated. */
const pollTargets = z
  .string()
  .default('')
  .transform((s, ctx) => {
    const targets = s.split(',').map((t) => t.trim()).filter(Boolean).map((t) => {
      const [accountId = '', region = ''] = t.split(':');
      if (!AWS_ACCOUNT.test(accountId) || !REGION.test(region)) {
        ctx.addIssue({ code: 'custom', message: `"${t}" is not <12-digit account>:<region>` });
      }
      return { accountId, region };
    });
    return targets;
  });

/** `AUDIT_WORKER_IP_RANGES`: CIDR blocks the worker pools call AWS from; empty turns the rule off. */
const cidrList = z
  .string()
  .default('')
  .transform((s) => s.split(',').map((t) => t.trim()).filter(Boolean))
  .refine((list) => list.every((c) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(c)), 'must be comma-separated CIDR blocks');

/** Environment of the audit service (validated once at start). */
export const auditEnv = baseServiceEnv.extend({
  SERVICE_NAME: serviceName.default('audit'),
  /** CloudTrail endpoint override (the aws-emulator in development); the poller signs with the default AWS credential chain. */
  AWS_ENDPOINT_URL: envUrl({ protocols: ['http', 'https'] }).optional(),
  /**
   * Deprecated: `<account>:<region>` polled with runtrail's own identity (the default chain). Trail
   * sources (`POST /v1/audit/trail-sources`) replace it: they poll a customer account with its reader role.
   */
  AUDIT_POLL_TARGETS: pollTargets,
  /**
   * runtrail's own AWS account, the principal of the trail-source trust statement: integrations'
   * variable, same rule and default (the emulator seed's platform account), so that the standalone
   * app reads one value for both.
   */
  PLATFORM_AWS_ACCOUNT_ID: z.string().regex(AWS_ACCOUNT, 'must be a 12-digit AWS account id').default('111111111111'),
  /** Pause between two polls of one target once it is caught up. */
  AUDIT_POLL_INTERVAL_MS: envInt({ min: 1000, max: 3_600_000 }).default(60_000),
  /** How far back each poll reaches before the checkpoint: CloudTrail delivers events 5-15 min late. */
  AUDIT_POLL_OVERLAP_SECONDS: envInt({ min: 0, max: 86_400 }).default(900),
  /** LookupEvents requests per second per account and region (AWS allows 2). */
  AUDIT_POLL_MAX_RPS: envInt({ min: 1, max: 2 }).default(2),
  /** Lease lifetime in NATS KV: a dead poller's target is taken over after at most this long. */
  AUDIT_LEASE_TTL_MS: envInt({ min: 3000, max: 600_000 }).default(30_000),
  AUDIT_WORKER_IP_RANGES: cidrList,
  /** How long an AssumeRole with runtrail's marks may wait for its issuance before it is a finding. */
  AUDIT_UNISSUED_GRACE_SECONDS: envInt({ min: 0, max: 86_400 }).default(300),
  /** How long an issuance may be missing from CloudTrail before it is a finding. */
  AUDIT_ISSUANCE_GRACE_SECONDS: envInt({ min: 0, max: 7 * 86_400 }).default(3600),
  /** How often the time-based findings are checked (0: never, e.g. in tests that sweep by hand). */
  AUDIT_SWEEP_INTERVAL_MS: envInt({ min: 0, max: 3_600_000 }).default(60_000),
  /**
   * PostgreSQL: days CloudTrail events are kept; whole months of `cloudtrail_event` and
   * `event_resource` older than this are dropped (hourly). Unset: kept for ever. SQLite: not used.
   */
  AUDIT_RETENTION_DAYS: envInt({ min: 1, max: 36_500 }).optional(),
});
export type AuditEnv = z.output<typeof auditEnv>;
