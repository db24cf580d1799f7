import { isRetryableStsError, Sts, StsError, type StsCredentials } from '@runtrail/aws-sts';
import { RuntrailError } from '@runtrail/contracts';
import type { AssumeOutcome, AssumeRoleInput, StsGateway, WebIdentityInput } from './sts.gateway';

/**
 * {@link StsGateway} on `@runtrail/aws-sts` with the default credential chain (runtrail's own
 * identity). `endpointOverride` (AWS_ENDPOINT_URL) points every call at one endpoint, e.g. the
 * aws-emulator. AccessDenied counts as retryable here: right after a role or trust policy is
 * created or changed, IAM's eventual consistency looks exactly like a refusal.
 */
export class AwsStsGateway implements StsGateway {
  private readonly sts: Sts;
  private account: Promise<string> | null = null;

  /** `credentials`: a seam for tests; production leaves it to the default credential chain. */
  constructor(
    endpointOverride: string | undefined,
    /** Where GetCallerIdentity is asked (its partition and regional endpoint). */
    private readonly defaultRegion: string,
    credentials?: StsCredentials,
  ) {
    this.sts = new Sts({ endpointOverride, credentials });
  }

  assumeRole(input: AssumeRoleInput): Promise<AssumeOutcome> {
    return outcomeOf(this.sts.assumeRole(input));
  }

  assumeRoleWithWebIdentity(input: WebIdentityInput): Promise<AssumeOutcome> {
    const { token, ...rest } = input;
    return outcomeOf(this.sts.assumeRoleWithWebIdentity({ ...rest, webIdentityToken: token }));
  }

  platformAccountId(): Promise<string> {
    this.account ??= this.sts
      .getCallerIdentity(this.defaultRegion)
      .then((identity) => identity.account)
      .catch((error: unknown) => {
        this.account = null;
        throw error;
      });
    return this.account;
  }

  destroy(): void {
    this.sts.destroy();
  }
}

/** Keeps only whether the call worked: the credentials are dropped here, AWS's code and words kept. */
async function outcomeOf(call: Promise<unknown>): Promise<AssumeOutcome> {
  try {
    await call;
    return { ok: true };
  } catch (error) {
    if (!(error instanceof RuntrailError)) throw error;
    const retryable = isRetryableStsError(error, { retryAccessDenied: true });
    return error instanceof StsError
      ? { ok: false, code: error.awsCode, message: error.awsMessage, retryable }
      : { ok: false, code: error.code, message: error.message, retryable };
  }
}
