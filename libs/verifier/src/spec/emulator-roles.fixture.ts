import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';

/** The embedded default seed's identities (fake local keys). */
export const PLATFORM = {
  accessKeyId: 'AKIA1111RUNTRAIL0001',
  secretAccessKey: 'runtrail-platform-local-secret-not-a-real-key',
};
export const CUSTOMER_ADMIN = {
  accessKeyId: 'AKIA2222CUSTOMERADM1',
  secretAccessKey: 'customer-admin-local-secret-not-a-real-key',
};
export const CUSTOMER_ACCOUNT = '222222222222';
export const PLATFORM_ROOT = 'arn:aws:iam::111111111111:root';

/** One trust-policy statement trusting `principal` for `actions`, with an optional condition. */
export function trustStatement(principal: string, actions: string[], condition?: Record<string, unknown>) {
  return {
    Effect: 'Allow',
    Principal: { AWS: principal },
    Action: actions,
    ...(condition ? { Condition: condition } : {}),
  };
}

/** Creates a role in the customer account through the emulator's IAM API, as a customer would. */
export async function createRole(endpoint: string, name: string, statements: object[]): Promise<string> {
  const iam = new IAMClient({ endpoint, region: 'us-east-1', credentials: CUSTOMER_ADMIN, maxAttempts: 1 });
  try {
    const result = await iam.send(
      new CreateRoleCommand({
        RoleName: name,
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
        MaxSessionDuration: 43200,
      }),
    );
    return result.Role?.Arn ?? `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/${name}`;
  } finally {
    iam.destroy();
  }
}
