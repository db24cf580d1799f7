import type { AwsApiError } from '../http/aws-api.error';
import type { OidcKeyResolver } from '../oidc/oidc-key-resolver';
import type { QueryParams } from '../http/query-protocol';
import type { IamStore } from '../state/iam-store';
import type { SessionStore } from '../state/session-store';
import type { LookupThrottle } from '../trail/lookup-throttle';
import type { TrailOverrides } from '../trail/trail-event.types';
import type { TrailStore } from '../trail/trail-store';
import type { Caller } from './caller.types';

/** The emulator's state and services, shared by every action. */
export interface EmulatorCore {
  iam: IamStore;
  sessions: SessionStore;
  trail: TrailStore;
  oidc: OidcKeyResolver;
  lookupThrottle: LookupThrottle | null;
  clock: () => Date;
}

export interface ActionContext {
  core: EmulatorCore;
  caller: Caller;
  /** Query-protocol parameters (STS, IAM); empty for JSON actions. */
  params: QueryParams;
  /** The JSON body of JSON-protocol actions (CloudTrail); null for Query actions. */
  json: Record<string, unknown> | null;
  /** The region of the signing scope (IAM's events still go to us-east-1). */
  region: string;
  now: Date;
  requestId: string;
  sourceIp: string;
  userAgent: string;
}

export interface ActionResult {
  /** The `<Action>Result` content (Query) or the response object (JSON); null for none. */
  result: object | null;
  trail?: TrailOverrides;
}

export type Service = 'sts' | 'iam' | 'cloudtrail';

/** One API operation the emulator answers. */
export interface ActionDef {
  service: Service;
  name: string;
  readOnly: boolean;
  /** Accepted without a signature (the request carries its own credential, e.g. a web identity token). */
  unsigned?: boolean;
  handle(ctx: ActionContext): ActionResult | Promise<ActionResult>;
  /** How the failed call is recorded; default: the generic request parameters, caller's account. */
  onFailure?(ctx: ActionContext, error: AwsApiError): TrailOverrides;
}
