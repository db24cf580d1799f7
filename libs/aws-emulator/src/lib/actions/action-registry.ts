import type { ActionDef, Service } from './action.types';
import { lookupEventsAction } from './cloudtrail/lookup-events.action';
import {
  createOpenIdConnectProviderAction,
  deleteOpenIdConnectProviderAction,
  getOpenIdConnectProviderAction,
  listOpenIdConnectProvidersAction,
} from './iam/oidc-provider.actions';
import {
  attachRolePolicyAction,
  deleteRolePolicyAction,
  detachRolePolicyAction,
  getRolePolicyAction,
  listAttachedRolePoliciesAction,
  listRolePoliciesAction,
  putRolePolicyAction,
} from './iam/role-policy.actions';
import {
  createRoleAction,
  deleteRoleAction,
  getRoleAction,
  listRolesAction,
  updateAssumeRolePolicyAction,
} from './iam/role.actions';
import { assumeRoleWithWebIdentityAction } from './sts/assume-role-with-web-identity.action';
import { assumeRoleAction } from './sts/assume-role.action';
import { getCallerIdentityAction } from './sts/get-caller-identity.action';

const ALL: readonly ActionDef[] = [
  assumeRoleAction,
  assumeRoleWithWebIdentityAction,
  getCallerIdentityAction,
  createRoleAction,
  getRoleAction,
  deleteRoleAction,
  listRolesAction,
  updateAssumeRolePolicyAction,
  putRolePolicyAction,
  getRolePolicyAction,
  deleteRolePolicyAction,
  listRolePoliciesAction,
  attachRolePolicyAction,
  detachRolePolicyAction,
  listAttachedRolePoliciesAction,
  createOpenIdConnectProviderAction,
  getOpenIdConnectProviderAction,
  deleteOpenIdConnectProviderAction,
  listOpenIdConnectProvidersAction,
  lookupEventsAction,
];

const BY_KEY = new Map(ALL.map((a) => [`${a.service}:${a.name}`, a]));
const BY_NAME = new Map(ALL.map((a) => [a.name, a]));

/** The action a request names: by the signing scope's service when known, else by name alone. */
export function findAction(service: Service | null, name: string): ActionDef | undefined {
  return service ? BY_KEY.get(`${service}:${name}`) : BY_NAME.get(name);
}

/** Every supported operation, as `service:Name`. */
export function supportedActions(): string[] {
  return [...BY_KEY.keys()];
}
