import { z } from 'zod';
import { parseOrThrow, roleArn as roleArnSchema } from '@runtrail/contracts';
import { invalidField } from './invalid-field.error';
import { ROLE_SESSION_NAME_PATTERN } from './sts-limits.constants';

/** AWS partitions runtrail supports (the ISO partitions are not). */
export const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'] as const;
export type Partition = (typeof PARTITIONS)[number];

const ACCOUNT_ID = /^\d{12}$/;

/** True for a partition runtrail supports. */
export function isPartition(value: string): value is Partition {
  return (PARTITIONS as readonly string[]).includes(value);
}

/**
 * The partition of an ARN (`arn:<partition>:...`); it picks the STS endpoint, audience and
 * principals for everything done with that role.
 *
 * @throws RuntrailError `VALIDATION_FAILED` when `arn` is not an ARN or its partition is not supported.
 */
export function partitionOf(arn: string): Partition {
  const partition = arnFields(arn)[1];
  if (!isPartition(partition)) {
    invalidField('arn', `partition "${partition}" is not supported; use one of ${PARTITIONS.join(', ')}`);
  }
  return partition;
}

/**
 * The 12-digit account id of an ARN.
 *
 * @throws RuntrailError `VALIDATION_FAILED` when `arn` is not an ARN with an account id.
 */
export function accountOfArn(arn: string): string {
  const account = arnFields(arn)[4];
  if (!ACCOUNT_ID.test(account)) invalidField('arn', 'must have a 12-digit account id in its fifth field');
  return account;
}

/**
 * The role name of a role ARN, without its path (`arn:aws:iam::1:role/ci/deployer` gives `deployer`),
 * which is how STS names the role in an assumed-role ARN.
 *
 * @throws RuntrailError `VALIDATION_FAILED` when `roleArn` is not an IAM role ARN.
 */
/** Built once: a schema per call cost the broker about 2% of its CPU per issuance. */
const roleArnInput = z.object({ roleArn: roleArnSchema });

export function roleNameOfArn(roleArn: string): string {
  const valid = parseOrThrow(roleArnInput, { roleArn }, 'role ARN').roleArn;
  const resource = valid.slice(valid.indexOf(':role/') + ':role/'.length);
  const name = resource.slice(resource.lastIndexOf('/') + 1);
  if (name.length === 0) invalidField('roleArn', 'must end with a role name, not "/"');
  return name;
}

/**
 * The ARN STS reports for a session of `roleArn`:
 * `arn:<partition>:sts::<account>:assumed-role/<roleName>/<sessionName>`.
 *
 * @throws RuntrailError `VALIDATION_FAILED` for a bad role ARN or session name.
 */
export function assumedRoleArn(roleArn: string, sessionName: string): string {
  const name = roleNameOfArn(roleArn);
  if (!ROLE_SESSION_NAME_PATTERN.test(sessionName))
    invalidField('sessionName', 'must be 2-64 characters of [\\w+=,.@-]');
  return `arn:${partitionOf(roleArn)}:sts::${accountOfArn(roleArn)}:assumed-role/${name}/${sessionName}`;
}

/** `arn:partition:service:region:account:resource` as six fields (the resource may hold `:`). */
function arnFields(arn: string): [string, string, string, string, string, string] {
  const fields = arn.split(':');
  if (fields.length < 6 || fields[0] !== 'arn')
    invalidField('arn', 'must look like arn:<partition>:<service>:<region>:<account>:<resource>');
  const [prefix = '', partition = '', service = '', region = '', account = '', ...resource] = fields;
  return [prefix, partition, service, region, account, resource.join(':')];
}
