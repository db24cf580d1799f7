import { z } from 'zod';
import { awsRegion, parseOrThrow } from '@runtrail/contracts';
import { invalidField } from './invalid-field.error';
import type { Partition } from './arn.parser';

interface PartitionFacts {
  /** DNS suffix of the partition's service endpoints and service principals. */
  domain: string;
  /** Where STS is called when the integration names no region. */
  defaultRegion: string | null;
}

const FACTS: Readonly<Record<Partition, PartitionFacts>> = {
  // `null`: the commercial partition has the global endpoint `sts.amazonaws.com`.
  aws: { domain: 'amazonaws.com', defaultRegion: null },
  // China and GovCloud have no global endpoint.
  'aws-cn': { domain: 'amazonaws.com.cn', defaultRegion: 'cn-north-1' },
  'aws-us-gov': { domain: 'amazonaws.com', defaultRegion: 'us-gov-west-1' },
};

const ACCOUNT_ID = /^\d{12}$/;

/** The DNS suffix of a partition: `amazonaws.com`, or `amazonaws.com.cn` in China. */
export function serviceDomain(partition: Partition): string {
  return FACTS[partition].domain;
}

/**
 * The partition a region belongs to.
 *
 * @throws RuntrailError `VALIDATION_FAILED` for a malformed region or one in an unsupported (ISO) partition.
 */
/** Built once, not per call (the broker resolves a partition on every issuance). */
const regionInput = z.object({ region: awsRegion });

export function partitionOfRegion(region: string): Partition {
  const valid = parseOrThrow(regionInput, { region }, 'region').region;
  if (valid.startsWith('cn-')) return 'aws-cn';
  if (valid.startsWith('us-gov-')) return 'aws-us-gov';
  if (/-iso[a-z]?-/.test(valid))
    invalidField('region', `${valid} is in an ISO partition, which runtrail does not support`);
  return 'aws';
}

/**
 * The STS endpoint for a role in `partition`: the regional one when a region is given
 * (`https://sts.<region>.amazonaws.com[.cn]`), else the global `https://sts.amazonaws.com` in the
 * commercial partition and the partition's default region elsewhere.
 *
 * @throws RuntrailError `VALIDATION_FAILED` when the region is malformed or in another partition.
 */
export function stsEndpoint(partition: Partition, region: string | null): string {
  const { domain, defaultRegion } = FACTS[partition];
  const chosen = region ?? defaultRegion;
  if (chosen === null) return `https://sts.${domain}`;
  const regionPartition = partitionOfRegion(chosen);
  if (regionPartition !== partition)
    invalidField('region', `${chosen} is in partition ${regionPartition}, not ${partition}`);
  return `https://sts.${chosen}.${domain}`;
}

/** The `aud` an OIDC token for STS in `partition` carries (and the IAM OIDC provider's client id). */
export function stsAudience(partition: Partition): string {
  return `sts.${FACTS[partition].domain}`;
}

/**
 * `arn:<partition>:iam::<account>:root`: the principal a trust policy names to trust runtrail's
 * platform account.
 *
 * @throws RuntrailError `VALIDATION_FAILED` when `accountId` is not 12 digits.
 */
export function accountRootArn(partition: Partition, accountId: string): string {
  if (!ACCOUNT_ID.test(accountId)) invalidField('accountId', 'must be a 12-digit AWS account id');
  return `arn:${partition}:iam::${accountId}:root`;
}

/**
 * `arn:<partition>:iam::<account>:oidc-provider/<issuer host and path>`: the federated principal
 * of runtrail's OIDC issuer in a customer account.
 *
 * @throws RuntrailError `VALIDATION_FAILED` for a bad account id or an issuer that is not an https URL
 *   without query or fragment.
 */
export function oidcProviderArn(partition: Partition, accountId: string, issuerUrl: string): string {
  if (!ACCOUNT_ID.test(accountId)) invalidField('accountId', 'must be a 12-digit AWS account id');
  const url = URL.canParse(issuerUrl) ? new URL(issuerUrl) : null;
  if (!url || url.protocol !== 'https:' || url.search || url.hash || url.username || url.password) {
    invalidField('issuerUrl', 'must be an https URL without credentials, query or fragment');
  }
  const path = url.pathname.replace(/\/+$/, '');
  return `arn:${partition}:iam::${accountId}:oidc-provider/${url.host}${path}`;
}
