import { errorOf } from '../testing/error-of.helper';
import type { Partition } from './arn.parser';
import {
  accountRootArn,
  oidcProviderArn,
  partitionOfRegion,
  serviceDomain,
  stsAudience,
  stsEndpoint,
} from './partition.endpoints';

describe('stsEndpoint', () => {
  it.each<[Partition, string | null, string]>([
    ['aws', null, 'https://sts.amazonaws.com'],
    ['aws', 'eu-west-1', 'https://sts.eu-west-1.amazonaws.com'],
    ['aws-cn', 'cn-northwest-1', 'https://sts.cn-northwest-1.amazonaws.com.cn'],
    ['aws-cn', null, 'https://sts.cn-north-1.amazonaws.com.cn'],
    ['aws-us-gov', 'us-gov-east-1', 'https://sts.us-gov-east-1.amazonaws.com'],
    ['aws-us-gov', null, 'https://sts.us-gov-west-1.amazonaws.com'],
  ])('%s in %s is %s', (partition, region, endpoint) => {
    expect(stsEndpoint(partition, region)).toBe(endpoint);
  });

  it.each<[Partition, string, string]>([
    ['aws', 'cn-north-1', 'cn-north-1 is in partition aws-cn, not aws'],
    ['aws-cn', 'eu-west-1', 'eu-west-1 is in partition aws, not aws-cn'],
    ['aws-us-gov', 'us-east-1', 'us-east-1 is in partition aws, not aws-us-gov'],
    ['aws', 'us-iso-east-1', 'ISO partition'],
    ['aws', 'Europe', 'must be an AWS region'],
  ])('refuses %s with region %s', (partition, region, rule) => {
    const error = errorOf(() => stsEndpoint(partition, region));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues?.[0]?.path).toBe('region');
    expect(error.message).toContain(rule);
  });
});

describe('partition facts', () => {
  it.each<[Partition, string, string]>([
    ['aws', 'sts.amazonaws.com', 'amazonaws.com'],
    ['aws-cn', 'sts.amazonaws.com.cn', 'amazonaws.com.cn'],
    ['aws-us-gov', 'sts.amazonaws.com', 'amazonaws.com'],
  ])('%s: audience %s, domain %s', (partition, audience, domain) => {
    expect(stsAudience(partition)).toBe(audience);
    expect(serviceDomain(partition)).toBe(domain);
  });

  it.each([
    ['us-east-1', 'aws'],
    ['ap-southeast-2', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
  ])('region %s is in %s', (region, partition) => {
    expect(partitionOfRegion(region)).toBe(partition);
  });
});

describe('principals', () => {
  it('names the platform account root in the role partition', () => {
    expect(accountRootArn('aws-cn', '123456789012')).toBe('arn:aws-cn:iam::123456789012:root');
    expect(errorOf(() => accountRootArn('aws', '1234')).issues?.[0]?.path).toBe('accountId');
  });

  it.each([
    ['https://runtrail.example.com', 'runtrail.example.com'],
    ['https://runtrail.example.com/', 'runtrail.example.com'],
    ['https://example.com/oidc/acme/', 'example.com/oidc/acme'],
    ['https://example.com:8443/oidc', 'example.com:8443/oidc'],
  ])('names the OIDC provider of issuer %s', (issuer, provider) => {
    expect(oidcProviderArn('aws', '123456789012', issuer)).toBe(
      `arn:aws:iam::123456789012:oidc-provider/${provider}`,
    );
  });

  it.each([
    'http://runtrail.example.com',
    'https://example.com/?x=1',
    'https://u:p@example.com',
    'runtrail.example.com',
  ])('refuses the issuer %p', (issuer) => {
    expect(errorOf(() => oidcProviderArn('aws', '123456789012', issuer)).issues?.[0]?.path).toBe('issuerUrl');
  });
});
