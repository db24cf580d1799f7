import { z } from 'zod';

/**
 * A fault to inject: for requests whose action matches `action` (`*`, `AssumeRole`,
 * `sts:AssumeRole`, `iam:*`... IAM wildcards, case-insensitive), with probability `rate`:
 * `throttle` answers AWS's throttling error, `5xx` a 500/503, `latency` delays by `latencyMs`.
 */
export const faultRuleSchema = z.object({
  action: z.string().min(1).default('*'),
  rate: z.number().min(0).max(1),
  kind: z.enum(['throttle', '5xx', 'latency']),
  latencyMs: z.number().int().min(0).max(120_000).optional(),
  status: z.union([z.literal(500), z.literal(503)]).optional(),
  /** Only requests signed by keys of this account. */
  accountId: z
    .string()
    .regex(/^\d{12}$/)
    .optional(),
});

export const faultRulesSchema = z.array(faultRuleSchema).max(100);

export type FaultRule = z.input<typeof faultRuleSchema>;
export type ValidFaultRule = z.output<typeof faultRuleSchema>;
