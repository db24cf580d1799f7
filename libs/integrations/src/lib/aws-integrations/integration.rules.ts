import { RuntrailError } from '@runtrail/contracts';
import { partitionOf, stsEndpoint } from '@runtrail/aws-identity';
import type { IntegrationFields } from '../api/api.schemas';

/**
 * Rules across fields that the schema cannot see alone: a region must be in the role ARN's
 * partition (an `aws-cn` role is useless with `eu-west-1`).
 *
 * @throws RuntrailError `VALIDATION_FAILED` naming `region`.
 */
export function checkIntegrationRules(fields: IntegrationFields): void {
  if (fields.region === null) return;
  try {
    stsEndpoint(partitionOf(fields.roleArn), fields.region);
  } catch (error) {
    const rule =
      error instanceof RuntrailError
        ? (error.issues?.[0]?.rule ?? error.message)
        : "must be in the role ARN's partition";
    throw new RuntrailError('VALIDATION_FAILED', `invalid integration: region: ${rule}`, [
      { path: 'region', rule },
    ]);
  }
}
