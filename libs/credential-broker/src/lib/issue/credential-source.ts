import { Injectable } from '@nestjs/common';
import {
  roleSessionName,
  sessionTags,
  sourceIdentity,
  TRANSITIVE_SESSION_TAG_KEYS,
} from '@runtrail/aws-identity';
import { retryTransient, type TemporaryCredentials } from '@runtrail/aws-sts';
import {
  type DeliveryPlaintext,
  type IntegrationSnapshot,
  type RunType,
  type Scope,
  type CallerRef,
} from '@runtrail/contracts';
import { MessageBus } from '@runtrail/messaging';
import { BrokerSettings } from '../broker.settings';
import { Clock } from '../clock';
import { StsAdapter } from '../sts/sts.adapter';
import { assertHealthy, sessionSeconds } from './issuance-limits';
import { OidcTokenBatcher } from './oidc-token.batcher';

/**
 * How long the broker keeps its `oidc.v1.issue(.batch)` reply key. The issuer keeps its ephemeral key per
 * reply key about as long, so a token costs AES on both sides rather than two P-256 key generations
 * and two ECDH. The request and reply stay the same (a public JWK, a standard JWE): an issuer of an
 * older version simply seals each reply with a fresh ephemeral key.
 */
export const OIDC_REPLY_KEY_TTL_MS = 5 * 60_000;

/** Who the credentials are for: the run, its caller and the scope of its phase. */
export interface IssuanceTarget {
  runId: string;
  account: string;
  spaceId: string;
  caller: CallerRef;
  runType: RunType;
  scope: Scope;
  /**
   * The account's OIDC audience from `integrations.v1.resolve`; absent, the issuer's default. The
   * verifier asks for the same one, so a role it passed accepts the broker's tokens.
   */
  oidcAudience?: string;
  /** The end of the run's maximum lifetime (null for runs from before deadlines): nothing outlives it. */
  deadline: Date | null;
}

/**
 * Credentials for one integration, ready to seal. `plaintext` holds the secrets: callers seal it at
 * once and drop it.
 */
export interface ObtainedCredentials {
  plaintext: DeliveryPlaintext;
  sessionName: string;
  /** The run id sent as SourceIdentity, or null when the integration does not send one. */
  sourceIdentity: string | null;
  accessKeyId: string | null;
  assumedRoleArn: string | null;
  expiresAt: Date;
}

/** What only the platform or the oidc plaintext carries besides the STS credentials. */
type StsModeFields = { mode: 'platform' } | { mode: 'oidc'; webIdentityToken: string; roleArn: string };

/** The result for credentials STS issued (platform and oidc mode); the two differ only in `extra`. */
function fromSts(
  common: Pick<ObtainedCredentials, 'sessionName' | 'sourceIdentity'>,
  creds: TemporaryCredentials,
  region: string | null,
  extra: StsModeFields,
): ObtainedCredentials {
  const secrets = {
    accessKeyId: creds.accessKeyId,
    secretAccessKey: creds.secretAccessKey,
    sessionToken: creds.sessionToken,
    expiration: creds.expiration.toISOString(),
    assumedRoleArn: creds.assumedRoleArn,
    region,
  };
  return {
    ...common,
    accessKeyId: creds.accessKeyId,
    assumedRoleArn: creds.assumedRoleArn,
    expiresAt: creds.expiration,
    plaintext:
      extra.mode === 'oidc'
        ? { mode: 'oidc', ...secrets, webIdentityToken: extra.webIdentityToken, roleArn: extra.roleArn }
        : { mode: 'platform', ...secrets },
  };
}

/** The run's session tags, the same whether they go to AssumeRole or into the OIDC token. */
function sessionTagsOf(target: IssuanceTarget): ReturnType<typeof sessionTags> {
  return sessionTags({
    run: target.runId,
    caller: target.caller.id,
    space: target.spaceId,
    account: target.account,
    scope: target.scope,
  });
}

/**
 * Gets one integration's credentials in its mode: platform AssumeRole, OIDC web identity, or worker
 * parameters. Refuses an unhealthy integration and a run past its lifetime before any AWS call, and
 * cuts the session (and the OIDC token) to what remains of the run.
 */
@Injectable()
export class CredentialSource {
  private readonly tokens: OidcTokenBatcher;

  constructor(
    private readonly sts: StsAdapter,
    bus: MessageBus,
    private readonly settings: BrokerSettings,
    private readonly clock: Clock,
  ) {
    this.tokens = new OidcTokenBatcher(bus, { replyKeyTtlMs: OIDC_REPLY_KEY_TTL_MS });
  }

  sessionNameOf(target: IssuanceTarget): string {
    return roleSessionName({ runId: target.runId, callerSlug: target.caller.slug, account: target.account });
  }

  /**
   * The SourceIdentity for the run (its id), or null where the integration has not opted in:
   * without `sts:SetSourceIdentity` in the trust policy STS refuses the call.
   */
  sourceIdentityOf(target: IssuanceTarget, integration: IntegrationSnapshot): string | null {
    return integration.sourceIdentity ? sourceIdentity(target.runId) : null;
  }

  async obtain(
    target: IssuanceTarget,
    integration: IntegrationSnapshot,
    externalId: string,
  ): Promise<ObtainedCredentials> {
    const sessionName = this.sessionNameOf(target);
    const source = this.sourceIdentityOf(target, integration);
    const common = { sessionName, sourceIdentity: source };
    const retry = this.settings.stsRetry;
    assertHealthy(integration);
    const now = this.clock.now();
    const durationSeconds = sessionSeconds(target.runId, integration.durationSeconds, target.deadline, now);

    if (integration.mode === 'worker') {
      return {
        ...common,
        accessKeyId: null,
        assumedRoleArn: null,
        expiresAt: new Date(now.getTime() + durationSeconds * 1000),
        plaintext: {
          mode: 'worker',
          roleArn: integration.roleArn,
          externalId,
          sessionName,
          ...(source ? { sourceIdentity: source } : {}),
          durationSeconds,
          region: integration.region,
        },
      };
    }

    if (integration.mode === 'oidc') {
      const token = await this.webIdentityToken(target, integration, durationSeconds);
      const creds = await retryTransient(retry, () =>
        this.sts.assumeRoleWithWebIdentity({
          roleArn: integration.roleArn,
          region: integration.region,
          sessionName,
          durationSeconds,
          webIdentityToken: token,
        }),
      );
      return fromSts(common, creds, integration.region, {
        mode: 'oidc',
        webIdentityToken: token,
        roleArn: integration.roleArn,
      });
    }

    const tags = integration.sessionTagging ? sessionTagsOf(target) : undefined;
    const creds = await retryTransient(retry, () =>
      this.sts.assumeRole({
        roleArn: integration.roleArn,
        region: integration.region,
        externalId,
        sessionName,
        sourceIdentity: source ?? undefined,
        durationSeconds,
        tags,
        transitiveTagKeys: tags ? [...TRANSITIVE_SESSION_TAG_KEYS] : undefined,
      }),
    );
    return fromSts(common, creds, integration.region, { mode: 'platform' });
  }

  /**
   * A token from oidc-issuer, sealed to this replica's reply key (rotated every
   * `OIDC_REPLY_KEY_TTL_MS`) so it never crosses NATS in the clear; concurrent issuances share
   * `oidc.v1.issue.batch` requests (`OidcTokenBatcher`). It
   * lives as long as the session it is for (the worker re-reads it to assume again), not longer.
   */
  private async webIdentityToken(
    target: IssuanceTarget,
    integration: IntegrationSnapshot,
    lifetimeSeconds: number,
  ): Promise<string> {
    const tags = integration.sessionTagging
      ? Object.fromEntries(sessionTagsOf(target).map((t) => [t.Key, t.Value]))
      : undefined;
    return this.tokens.token({
      account: target.account,
      spaceId: target.spaceId,
      callerType: target.caller.type,
      callerId: target.caller.id,
      callerSlug: target.caller.slug,
      runType: target.runType,
      runId: target.runId,
      scope: target.scope,
      audience: target.oidcAudience,
      sessionTags: tags,
      transitiveTagKeys: tags ? [...TRANSITIVE_SESSION_TAG_KEYS] : undefined,
      sourceIdentity: integration.sourceIdentity,
      lifetimeSeconds,
    });
  }
}
