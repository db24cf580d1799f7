import {
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  IAMClient,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import type { IntegrationMode } from '@runtrail/contracts';

/** What the tests need of an integration the service created. */
export interface CreatedIntegration {
  id: string;
  roleArn: string;
  mode: IntegrationMode;
}

export interface IntegrationBody {
  name: string;
  roleArn: string;
  mode: IntegrationMode;
  durationSeconds: number;
  region: string;
  sessionTagging: boolean;
  /** Send SourceIdentity (the API's default is off). */
  sourceIdentity?: boolean;
}

/** A reply of the REST API as a client sees it: the status and the parsed JSON body. */
export interface ApiReply<T = Record<string, unknown>> {
  status: number;
  body: T;
}

/**
 * A user of the integrations REST API (`/v1`, see libs/integrations/README.md): bootstraps an
 * account with the bootstrap token, then registers callers, creates integrations and attaches them,
 * each attachment verified by the real verifier against the aws-emulator. Every reply's text is
 * kept in `replies`, so a suite can check that no secret ever came back.
 */
export class IntegrationsApi {
  readonly replies: string[] = [];

  private constructor(
    private readonly baseUrl: string,
    private readonly key: string,
  ) {}

  static async bootstrap(baseUrl: string, bootstrapToken: string, account: string): Promise<IntegrationsApi> {
    const created = await send<{ apiKey: { key: string } }>(baseUrl, bootstrapToken, 'POST', '/accounts', {
      slug: account,
    });
    return new IntegrationsApi(baseUrl, created.body.apiKey.key);
  }

  /** The same API as the holder of `key` (another role, a space-limited key, another tenant's). */
  withKey(key: string): IntegrationsApi {
    return new IntegrationsApi(this.baseUrl, key);
  }

  /** A new API key of the account (shown once), e.g. the `scheduler` key `runtrail exec` uses. */
  async createApiKey(name: string, role: 'admin' | 'reader' | 'scheduler'): Promise<string> {
    return (await this.post<{ key: string }>('/api-keys', { name, role })).key;
  }

  async registerStack(slug: string, spaceId?: string): Promise<string> {
    return (
      await this.post<{ id: string }>('/callers', { type: 'stack', slug, ...(spaceId ? { spaceId } : {}) })
    ).id;
  }

  async createIntegration(body: IntegrationBody): Promise<CreatedIntegration> {
    const created = await this.post<CreatedIntegration>('/integrations', body);
    return { id: created.id, roleArn: created.roleArn, mode: created.mode };
  }

  /** Attached for plan (read) and apply (write). */
  async attach(integrationId: string, callerId: string): Promise<void> {
    await this.post(`/integrations/${integrationId}/attachments`, { callerId, read: true, write: true });
  }

  /** Any call, answered whatever its status (for refusals a test asserts on). */
  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<ApiReply<T>> {
    const reply = await send<T>(this.baseUrl, this.key, method, path, body, false);
    this.replies.push(JSON.stringify(reply.body));
    return reply;
  }

  private async post<T>(path: string, body: unknown): Promise<T> {
    const reply = await send<T>(this.baseUrl, this.key, 'POST', path, body);
    this.replies.push(JSON.stringify(reply.body));
    return reply.body;
  }
}

async function send<T>(
  baseUrl: string,
  bearer: string,
  method: string,
  path: string,
  body: unknown,
  okOnly = true,
): Promise<ApiReply<T>> {
  const res = await fetch(`${baseUrl}/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (okOnly && !res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** The customer's IAM, as its admin: roles the tests make, and break after runtrail verified them. */
export class CustomerIam {
  private readonly iam: IAMClient;
  private oidc?: { providerArn: string; hostPath: string; audience: string };

  constructor(
    endpoint: string,
    credentials: { accessKeyId: string; secretAccessKey: string },
    private readonly platformAccountId: string,
  ) {
    // The SDK's standard retries: a kept-alive socket the emulator closed while idle is retried,
    // not a failed test (IAM's refusals are not retryable, so assertions on them are unchanged).
    this.iam = new IAMClient({ endpoint, region: 'us-east-1', credentials });
  }

  /** A role trusting runtrail's platform identity for acme's external ids, like the seed's demo role. */
  async createPlatformRole(name: string, maxSessionDuration: number): Promise<string> {
    const trust = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${this.platformAccountId}:root` },
          Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
          Condition: { StringLike: { 'sts:ExternalId': 'acme@*' } },
        },
      ],
    };
    const created = await this.iam.send(
      new CreateRoleCommand({
        RoleName: name,
        AssumeRolePolicyDocument: JSON.stringify(trust),
        MaxSessionDuration: maxSessionDuration,
      }),
    );
    return created.Role!.Arn!;
  }

  async deleteRole(name: string): Promise<void> {
    await this.iam.send(new DeleteRoleCommand({ RoleName: name }));
  }

  /**
   * An IAM OIDC provider for runtrail's issuer and role `name` trusting web identities whose sub
   * matches `subs`. The audience is the issuer's default, its host name (seed 003).
   */
  async createOidcRole(name: string, issuerUrl: string, subs: string[]): Promise<void> {
    const audience = new URL(issuerUrl).hostname;
    const provider = await this.iam.send(
      new CreateOpenIDConnectProviderCommand({ Url: issuerUrl, ClientIDList: [audience] }),
    );
    this.oidc = {
      providerArn: provider.OpenIDConnectProviderArn!,
      hostPath: issuerUrl.replace(/^https?:\/\//, ''),
      audience,
    };
    await this.iam.send(
      new CreateRoleCommand({
        RoleName: name,
        AssumeRolePolicyDocument: JSON.stringify(this.oidcTrust(subs)),
      }),
    );
  }

  /** Narrows (or widens) which subs the OIDC role trusts. */
  async trustOidcSubs(name: string, subs: string[]): Promise<void> {
    await this.iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: name,
        PolicyDocument: JSON.stringify(this.oidcTrust(subs)),
      }),
    );
  }

  private oidcTrust(subs: string[]): Record<string, unknown> {
    const { providerArn, hostPath, audience } = this.oidc!;
    return {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: providerArn },
          Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession', 'sts:SetSourceIdentity'],
          Condition: {
            StringEquals: { [`${hostPath}:aud`]: audience },
            StringLike: { [`${hostPath}:sub`]: subs },
          },
        },
      ],
    };
  }

  destroy(): void {
    this.iam.destroy();
  }
}
