import type { IamStore } from './state/iam-store';
import type { RoleSession, SessionStore } from './state/session-store';

/** A role as tests and tools may inspect it. */
export interface RoleView {
  accountId: string;
  name: string;
  arn: string;
  roleId: string;
  trustPolicy: string;
  inlinePolicyNames: string[];
  attachedPolicyArns: string[];
  maxSessionDuration: number;
}

/** A live session's metadata (never its secret or token). */
export type SessionView = Omit<RoleSession, 'secretAccessKey' | 'sessionToken' | 'sessionPolicies'> & {
  hasSessionPolicies: boolean;
};

/** Read-only view of the emulator's state. */
export interface EmulatorStateView {
  accountIds(): string[];
  role(accountId: string, name: string): RoleView | undefined;
  oidcProviderArns(accountId: string): string[];
  sessionCount(): number;
  session(accessKeyId: string): SessionView | undefined;
}

export function stateView(iam: IamStore, sessions: SessionStore): EmulatorStateView {
  return {
    accountIds: () => [...iam.accounts.keys()],
    role(accountId, name) {
      const r = iam.role(accountId, name);
      if (!r) return undefined;
      return {
        accountId: r.accountId,
        name: r.name,
        arn: r.arn,
        roleId: r.roleId,
        trustPolicy: r.trustPolicy.text,
        inlinePolicyNames: [...r.inlinePolicies.keys()],
        attachedPolicyArns: [...r.attachedPolicyArns],
        maxSessionDuration: r.maxSessionDuration,
      };
    },
    oidcProviderArns: (accountId) => [...(iam.account(accountId)?.oidcProviders.keys() ?? [])],
    sessionCount: () => sessions.size,
    session(accessKeyId) {
      const s = sessions.get(accessKeyId);
      if (!s) return undefined;
      const { secretAccessKey: _secret, sessionToken: _token, sessionPolicies, ...rest } = s;
      return { ...rest, hasSessionPolicies: sessionPolicies !== null };
    },
  };
}
