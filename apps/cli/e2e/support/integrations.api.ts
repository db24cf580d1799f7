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

/**
 * A user of the integrations REST API (`/v1`, see libs/integrations/README.md): bootstraps `acme`
 * with the bootstrap token, then registers callers, creates integrations and attaches them, each save
 * verified by the real verifier against the aws-emulator.
 */
export class IntegrationsApi {
  private constructor(
    private readonly baseUrl: string,
    private readonly key: string,
  ) {}

  static async bootstrap(baseUrl: string, bootstrapToken: string, account: string): Promise<IntegrationsApi> {
    const created = await send<{ apiKey: { key: string } }>(baseUrl, bootstrapToken, 'POST', '/accounts', {
      slug: account,
    });
    return new IntegrationsApi(baseUrl, created.apiKey.key);
  }

  async registerStack(slug: string): Promise<string> {
    return (await this.post<{ id: string }>('/callers', { type: 'stack', slug })).id;
  }

  async createIntegration(body: IntegrationBody): Promise<CreatedIntegration> {
    const created = await this.post<CreatedIntegration>('/integrations', body);
    return { id: created.id, roleArn: created.roleArn, mode: created.mode };
  }

  /** Attached for plan (read) and apply (write). */
  async attach(integrationId: string, callerId: string): Promise<void> {
    await this.post(`/integrations/${integrationId}/attachments`, { callerId, read: true, write: true });
  }

  private post<T>(path: string, body: unknown): Promise<T> {
    return send<T>(this.baseUrl, this.key, 'POST', path, body);
  }
}

async function send<T>(
  baseUrl: string,
  bearer: string,
  method: string,
  path: string,
  body: unknown,
): Promise<T> {
  const res = await fetch(`${baseUrl}/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
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
    this.iam = new IAMClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
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
