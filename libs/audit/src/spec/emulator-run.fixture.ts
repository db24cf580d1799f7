import { CreateRoleCommand, AttachRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { externalId, roleSessionName } from '@runtrail/aws-identity';
import { readFileSync } from 'node:fs';

export const PLATFORM = { accessKeyId: 'AKIA1111RUNTRAIL0001', secretAccessKey: 'runtrail-platform-local-secret-not-a-real-key' };
export const CUSTOMER_ADMIN = { accessKeyId: 'AKIA2222CUSTOMERADM1', secretAccessKey: 'customer-admin-local-secret-not-a-real-key' };
export const CUSTOMER = '222222222222';
export const DEMO_ROLE = `arn:aws:iam::${CUSTOMER}:role/runtrail-demo`;
export const REGION = 'us-east-1';

/**
 * The default seed with the demo role allowed to manage IAM roles and to chain into other roles
 * of its account, which is what a Terraform apply that creates a deployer role and uses it does.
 */
export function e2eSeed<S>(defaultSeedPath: string): S {
  const seed = JSON.parse(readFileSync(defaultSeedPath, 'utf8')) as S & {
    accounts: Array<{ id: string; roles?: Array<{ name: string; attachedPolicyArns?: string[]; inlinePolicies?: Record<string, unknown> }> }>;
  };
  const demo = seed.accounts.find((a) => a.id === CUSTOMER)?.roles?.find((r) => r.name === 'runtrail-demo');
  if (!demo) throw new Error('the default seed lost its runtrail-demo role');
  demo.attachedPolicyArns = [...(demo.attachedPolicyArns ?? []), 'arn:aws:iam::aws:policy/IAMFullAccess'];
  demo.inlinePolicies = {
    ...(demo.inlinePolicies ?? {}),
    chain: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'], Resource: `arn:aws:iam::${CUSTOMER}:role/*` }] },
  };
  return seed;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export function sts(endpoint: string, credentials: Credentials): STSClient {
  return new STSClient({ endpoint, region: REGION, credentials, maxAttempts: 1 });
}

export function iam(endpoint: string, credentials: Credentials): IAMClient {
  return new IAMClient({ endpoint, region: REGION, credentials, maxAttempts: 1 });
}

/**
 * What credential-broker does for a run in platform mode: AssumeRole with runtrail's identity
 * formats, with SourceIdentity unless the integration has it off (`sourceIdentity: false`).
 */
export async function assumeForRun(
  endpoint: string,
  run: { runId: string; callerSlug: string; integrationId: string; sourceIdentity?: boolean },
) {
  const sessionName = roleSessionName({ runId: run.runId, callerSlug: run.callerSlug, account: 'acme' });
  const out = await sts(endpoint, PLATFORM).send(new AssumeRoleCommand({
    RoleArn: DEMO_ROLE,
    RoleSessionName: sessionName,
    ExternalId: externalId({ account: 'acme', integrationId: run.integrationId, callerSlug: run.callerSlug, scope: 'write' }),
    SourceIdentity: run.sourceIdentity === false ? undefined : run.runId,
    DurationSeconds: 900,
  }));
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) throw new Error('AssumeRole returned no credentials');
  return {
    sessionName,
    assumedRoleArn: out.AssumedRoleUser?.Arn ?? null,
    expiresAt: c.Expiration,
    credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken },
  };
}

/**
 * With the run's credentials: create a deployer role trusting the demo role, then chain into it, as a
 * Terraform provider's `assume_role` does (setting SourceIdentity only when `runId` is given).
 */
export async function createAndChain(endpoint: string, runCredentials: Credentials, roleName: string, runId: string | null) {
  const admin = iam(endpoint, runCredentials);
  await admin.send(new CreateRoleCommand({
    RoleName: roleName,
    AssumeRolePolicyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: DEMO_ROLE }, Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'] }],
    }),
  }));
  await admin.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: 'arn:aws:iam::aws:policy/IAMFullAccess' }));
  const chained = await sts(endpoint, runCredentials).send(new AssumeRoleCommand({
    RoleArn: `arn:aws:iam::${CUSTOMER}:role/${roleName}`,
    RoleSessionName: 'terraform-deployer',
    SourceIdentity: runId ?? undefined,
  }));
  const c = chained.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('chained AssumeRole returned no credentials');
  const credentials = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  await sts(endpoint, credentials).send(new GetCallerIdentityCommand({}));
  return credentials;
}
