// A few AWS managed policies, reduced to what the emulator evaluates, so that seeds and
// `aws iam attach-role-policy` can use the ARNs people already know.
const doc = (actions: string[]) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] });

export const AWS_MANAGED_POLICIES: Readonly<Record<string, string>> = {
  AdministratorAccess: doc(['*']),
  ReadOnlyAccess: doc([
    '*:Get*',
    '*:List*',
    '*:Describe*',
    'cloudtrail:LookupEvents',
    'sts:GetCallerIdentity',
  ]),
  IAMFullAccess: doc(['iam:*']),
  IAMReadOnlyAccess: doc(['iam:Get*', 'iam:List*']),
  AWSCloudTrail_ReadOnlyAccess: doc([
    'cloudtrail:Get*',
    'cloudtrail:Describe*',
    'cloudtrail:List*',
    'cloudtrail:LookupEvents',
  ]),
  AWSCloudTrail_FullAccess: doc(['cloudtrail:*']),
};
