import { compilePolicy, type CompiledPolicy, type PolicyKind } from '../policy/compile-policy';
import type { SeedPolicy, ValidSeed } from '../seed/seed.schema';
import { AWS_MANAGED_POLICIES } from './aws-managed-policies.constants';
import { stableUniqueId } from './credential-ids';
import type { Account, IamUser, ManagedPolicy, OidcProvider, Role, UserAccessKey } from './iam.types';
import { normaliseIssuerUrl } from './oidc-url';

/** Builds the policy text IAM would store for a seed policy given as an object or as text. */
export function policyText(policy: SeedPolicy): string {
  return typeof policy === 'string' ? policy : JSON.stringify(policy);
}

/**
 * Every account's IAM entities, plus the index of IAM user access keys. Mutations come from the
 * IAM actions; reads from the STS and authorisation paths. In memory only (see snapshot.ts).
 */
export class IamStore {
  readonly accounts = new Map<string, Account>();
  private readonly userKeys = new Map<string, { user: IamUser; key: UserAccessKey }>();
  private readonly awsManaged = new Map<string, ManagedPolicy>();

  constructor(seed: ValidSeed, now: Date) {
    for (const [name, text] of Object.entries(AWS_MANAGED_POLICIES)) {
      const arn = `arn:aws:iam::aws:policy/${name}`;
      this.awsManaged.set(arn, {
        arn,
        name,
        path: '/',
        policyId: stableUniqueId('ANPA', arn),
        description: null,
        policy: compilePolicy(text, 'identity'),
        createDate: new Date(0),
      });
    }
    for (const a of seed.accounts) this.addSeedAccount(a, now);
  }

  account(id: string): Account | undefined {
    return this.accounts.get(id);
  }

  userKey(accessKeyId: string): { user: IamUser; key: UserAccessKey } | undefined {
    return this.userKeys.get(accessKeyId);
  }

  role(accountId: string, name: string): Role | undefined {
    return this.accounts.get(accountId)?.roles.get(name.toLowerCase());
  }

  /**
   * An AWS managed policy or a customer managed policy of the account. AWS managed policies the
   * emulator does not model are attachable but grant nothing.
   */
  managedPolicy(accountId: string, arn: string): ManagedPolicy | undefined {
    return this.awsManaged.get(arn) ?? this.accounts.get(accountId)?.policies.get(arn);
  }

  /** The identity-based policies of a user or role: inline ones, then attached managed ones. */
  identityPolicies(entity: IamUser | Role): CompiledPolicy[] {
    const out = [...entity.inlinePolicies.values()];
    for (const arn of entity.attachedPolicyArns) {
      const managed = this.managedPolicy(entity.accountId, arn);
      if (managed) out.push(managed.policy);
    }
    return out;
  }

  /** The provider of `accountId` whose URL is the token issuer, if registered. */
  providerForIssuer(accountId: string, issuer: string): OidcProvider | undefined {
    const normalised = normaliseIssuerUrl(issuer);
    const account = this.accounts.get(accountId);
    if (!normalised || !account) return undefined;
    for (const p of account.oidcProviders.values()) if (p.hostPath === normalised.hostPath) return p;
    return undefined;
  }

  addRole(role: Role): void {
    this.mustAccount(role.accountId).roles.set(role.name.toLowerCase(), role);
  }

  deleteRole(role: Role): void {
    this.mustAccount(role.accountId).roles.delete(role.name.toLowerCase());
  }

  addProvider(provider: OidcProvider): void {
    this.mustAccount(provider.accountId).oidcProviders.set(provider.arn, provider);
  }

  deleteProvider(provider: OidcProvider): void {
    this.mustAccount(provider.accountId).oidcProviders.delete(provider.arn);
  }

  private mustAccount(id: string): Account {
    const account = this.accounts.get(id);
    if (!account) throw new Error(`unknown account ${id}`);
    return account;
  }

  private addSeedAccount(a: ValidSeed['accounts'][number], now: Date): void {
    const account: Account = {
      id: a.id,
      alias: a.alias ?? null,
      users: new Map(),
      roles: new Map(),
      policies: new Map(),
      oidcProviders: new Map(),
      trail: a.trail ? { bucket: a.trail.bucket, regions: a.trail.regions ?? null } : null,
    };
    this.accounts.set(a.id, account);
    const created = (iso: string | undefined) => (iso ? new Date(iso) : now);
    const compileAll = (policies: Record<string, SeedPolicy>, kind: PolicyKind, where: string) =>
      new Map(
        Object.entries(policies).map(([name, p]) => [name, compileSeedPolicy(p, kind, `${where}.${name}`)]),
      );

    for (const p of a.policies) {
      const arn = `arn:aws:iam::${a.id}:policy${p.path}${p.name}`;
      account.policies.set(arn, {
        arn,
        name: p.name,
        path: p.path,
        policyId: stableUniqueId('ANPA', arn),
        description: p.description ?? null,
        policy: compileSeedPolicy(p.document, 'identity', `policy ${arn}`),
        createDate: created(p.createDate),
      });
    }
    const checkAttached = (arns: string[], where: string) => {
      for (const arn of arns) {
        if (!arn.startsWith('arn:aws:iam::aws:') && !account.policies.has(arn)) {
          throw new SeedPolicyError(`${where}: attached policy ${arn} is not a policy of account ${a.id}`);
        }
      }
    };
    for (const u of a.users) checkAttached(u.attachedPolicyArns, `user ${u.name}`);
    for (const r of a.roles) checkAttached(r.attachedPolicyArns, `role ${r.name}`);
    for (const u of a.users) {
      const arn = `arn:aws:iam::${a.id}:user${u.path}${u.name}`;
      const user: IamUser = {
        accountId: a.id,
        name: u.name,
        path: u.path,
        userId: u.userId ?? stableUniqueId('AIDA', arn),
        arn,
        createDate: created(u.createDate),
        accessKeys: u.accessKeys.map((k) => ({ ...k })),
        inlinePolicies: compileAll(u.inlinePolicies, 'identity', `user ${arn} inline policy`),
        attachedPolicyArns: [...u.attachedPolicyArns],
        tags: { ...u.tags },
      };
      account.users.set(u.name.toLowerCase(), user);
      for (const key of user.accessKeys) this.userKeys.set(key.accessKeyId, { user, key });
    }
    for (const r of a.roles) {
      const arn = `arn:aws:iam::${a.id}:role${r.path}${r.name}`;
      account.roles.set(r.name.toLowerCase(), {
        accountId: a.id,
        name: r.name,
        path: r.path,
        roleId: r.roleId ?? stableUniqueId('AROA', arn),
        arn,
        createDate: created(r.createDate),
        description: r.description ?? null,
        maxSessionDuration: r.maxSessionDuration,
        trustPolicy: compileSeedPolicy(r.assumeRolePolicy, 'trust', `role ${arn} assumeRolePolicy`),
        inlinePolicies: compileAll(r.inlinePolicies, 'identity', `role ${arn} inline policy`),
        attachedPolicyArns: [...r.attachedPolicyArns],
        tags: { ...r.tags },
      });
    }
    for (const p of a.oidcProviders) {
      const normalised = normaliseIssuerUrl(p.url);
      if (!normalised)
        throw new SeedPolicyError(`oidc provider ${p.url}: must be https (http only for loopback hosts)`);
      const arn = `arn:aws:iam::${a.id}:oidc-provider/${normalised.hostPath}`;
      account.oidcProviders.set(arn, {
        accountId: a.id,
        arn,
        url: normalised.url,
        hostPath: normalised.hostPath,
        clientIds: [...p.clientIds],
        thumbprints: [...p.thumbprints],
        tags: {},
        createDate: created(p.createDate),
      });
    }
  }
}

/** A seed entity that zod accepted but IAM would not (a malformed policy, a bad provider URL). */
export class SeedPolicyError extends Error {
  override readonly name = 'SeedPolicyError';
}

function compileSeedPolicy(policy: SeedPolicy, kind: PolicyKind, where: string): CompiledPolicy {
  try {
    return compilePolicy(policyText(policy), kind);
  } catch (error) {
    throw new SeedPolicyError(`${where}: ${(error as Error).message}`);
  }
}
