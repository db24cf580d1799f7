import { z } from 'zod';

const stringOrList = z.union([z.string(), z.array(z.string()).min(1)]);
const conditionValue = z.union([z.string(), z.number(), z.boolean()]);

const principal = z.union([
  z.literal('*'),
  z
    .object({
      AWS: stringOrList.optional(),
      Federated: stringOrList.optional(),
      Service: stringOrList.optional(),
      CanonicalUser: stringOrList.optional(),
    })
    .strict(),
]);

export const statementSchema = z
  .object({
    Sid: z.string().optional(),
    Effect: z.enum(['Allow', 'Deny']),
    Principal: principal.optional(),
    NotPrincipal: principal.optional(),
    Action: stringOrList.optional(),
    NotAction: stringOrList.optional(),
    Resource: stringOrList.optional(),
    NotResource: stringOrList.optional(),
    Condition: z
      .record(z.string(), z.record(z.string(), z.union([conditionValue, z.array(conditionValue)])))
      .optional(),
  })
  .strict()
  .refine((s) => (s.Action === undefined) !== (s.NotAction === undefined), {
    message: 'a statement needs exactly one of Action or NotAction',
  })
  .refine((s) => s.Principal === undefined || s.NotPrincipal === undefined, {
    message: 'a statement cannot have both Principal and NotPrincipal',
  });

/** An IAM policy document (identity, trust or session policy) as IAM accepts it. */
export const policyDocumentSchema = z
  .object({
    Version: z.enum(['2012-10-17', '2008-10-17']).optional(),
    Id: z.string().optional(),
    // A single statement may stand alone; it is validated as a one-element list for precise paths.
    Statement: z.preprocess(
      (v) => (Array.isArray(v) || v === undefined ? v : [v]),
      z.array(statementSchema).min(1),
    ),
  })
  .strict();

export type PolicyDocument = z.infer<typeof policyDocumentSchema>;
export type PolicyStatement = z.infer<typeof statementSchema>;
