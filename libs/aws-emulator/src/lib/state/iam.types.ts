import type { CompiledPolicy } from '../policy/compile-policy';

export interface UserAccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  status: 'Active' | 'Inactive';
}

export interface IamUser {
  accountId: string;
  name: string;
  path: string;
  userId: string;
  arn: string;
  createDate: Date;
  accessKeys: UserAccessKey[];
  inlinePolicies: Map<string, CompiledPolicy>;
  attachedPolicyArns: string[];
  tags: Record<string, string>;
}

export interface Role {
  accountId: string;
  name: string;
  path: string;
  roleId: string;
  arn: string;
  createDate: Date;
  description: string | null;
  maxSessionDuration: number;
  trustPolicy: CompiledPolicy;
  inlinePolicies: Map<string, CompiledPolicy>;
  attachedPolicyArns: string[];
  tags: Record<string, string>;
}

export interface ManagedPolicy {
  arn: string;
  name: string;
  path: string;
  policyId: string;
  description: string | null;
  policy: CompiledPolicy;
  createDate: Date;
}

export interface OidcProvider {
  accountId: string;
  arn: string;
  /** The issuer URL as registered, without a trailing slash. */
  url: string;
  /** The URL without its scheme: the prefix of the provider's condition keys (`<hostPath>:sub`). */
  hostPath: string;
  clientIds: string[];
  thumbprints: string[];
  tags: Record<string, string>;
  createDate: Date;
}

export interface Account {
  id: string;
  alias: string | null;
  /** Keyed by lower-cased name: IAM names are unique regardless of case. */
  users: Map<string, IamUser>;
  roles: Map<string, Role>;
  policies: Map<string, ManagedPolicy>;
  oidcProviders: Map<string, OidcProvider>;
  /** Where CloudTrail delivers this account's log files; null: no trail. */
  trail: AccountTrail | null;
}

/** A trail: its S3 bucket and the regions it delivers (null: every region). */
export interface AccountTrail {
  bucket: string;
  regions: string[] | null;
}
