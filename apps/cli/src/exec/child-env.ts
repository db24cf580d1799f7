import type { CallerType, RunType } from '@runtrail/contracts';
import type { LiveCredentials } from './credentials';
import type { OpenedDelivery } from './delivery-inbox';
import type { ExecOptions } from './exec-options';

/** Variables of the worker's own AWS identity that must not reach the run's command. */
const AMBIENT_AWS = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  'AWS_EC2_METADATA_SERVICE_ENDPOINT',
  'AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE',
];

/** The worker's own secrets besides AWS: its runtrail API key, and every `NATS_*` (user, password, creds, token). */
function isWorkerSecret(name: string): boolean {
  return name === 'RUNTRAIL_API_KEY' || name.startsWith('NATS_');
}

/**
 * What the command is told about its run (nothing secret). Only the run id is always known: the rest
 * comes from the `--publish-phases` flags or the delivery, which older brokers send without it.
 */
export interface RunContext {
  runId: string;
  callerType?: CallerType;
  callerSlug?: string;
  spaceId?: string;
  runType?: RunType;
}

export interface ChildEnvInput {
  base: NodeJS.ProcessEnv;
  run: RunContext;
  credentials: LiveCredentials;
  container: { url: string; authorizationToken: string };
  /** Leave the key variables out so the SDK's chain reaches the container endpoint (it reads env keys first). */
  containerOnly: boolean;
  /** OIDC mode: where the web identity token is written. */
  webIdentityTokenFile?: string;
  /** The run's private, empty AWS config and credentials files (see `createRunDir`). */
  awsFiles: { configFile: string; sharedCredentialsFile: string };
}

/**
 * The command's environment: the worker's, minus its AWS identity and its runtrail/NATS secrets,
 * plus the run's credentials and context (`RUNTRAIL_*`, and `TF_VAR_runtrail_run_id` for a chained
 * provider's `session_name`). AWS SDKs and CLIs are pointed at the run's empty config and credentials
 * files instead of `~/.aws`, and kept off the instance metadata service, so nothing in the command
 * falls back to the worker's own identity.
 */
export function childEnv(input: ChildEnvInput): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...input.base };
  for (const name of AMBIENT_AWS) delete env[name];
  for (const name of Object.keys(env)) if (isWorkerSecret(name)) delete env[name];
  env['AWS_CONFIG_FILE'] = input.awsFiles.configFile;
  env['AWS_SHARED_CREDENTIALS_FILE'] = input.awsFiles.sharedCredentialsFile;
  env['AWS_EC2_METADATA_DISABLED'] = 'true';
  // An unknown value is left out, never inherited: the worker's own environment must not pose as the run's.
  for (const [name, value] of Object.entries(runVariables(input.run))) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  const c = input.credentials;
  if (!input.containerOnly) {
    env['AWS_ACCESS_KEY_ID'] = c.accessKeyId;
    env['AWS_SECRET_ACCESS_KEY'] = c.secretAccessKey;
    env['AWS_SESSION_TOKEN'] = c.sessionToken;
    // The name older SDKs and boto2 read.
    env['AWS_SECURITY_TOKEN'] = c.sessionToken;
  }
  env['AWS_CONTAINER_CREDENTIALS_FULL_URI'] = input.container.url;
  env['AWS_CONTAINER_AUTHORIZATION_TOKEN'] = input.container.authorizationToken;
  if (c.region) {
    env['AWS_REGION'] = c.region;
    env['AWS_DEFAULT_REGION'] = c.region;
  }
  if (input.webIdentityTokenFile && !input.containerOnly) {
    env['AWS_WEB_IDENTITY_TOKEN_FILE'] = input.webIdentityTokenFile;
    env['AWS_ROLE_ARN'] = c.roleArn;
  }
  return env;
}

/** The run's variables by name, `undefined` where the value is not known. */
function runVariables(run: RunContext): Record<string, string | undefined> {
  return {
    TF_VAR_runtrail_run_id: run.runId,
    RUNTRAIL_RUN_ID: run.runId,
    RUNTRAIL_CALLER_TYPE: run.callerType,
    RUNTRAIL_CALLER_SLUG: run.callerSlug,
    RUNTRAIL_SPACE_ID: run.spaceId,
    RUNTRAIL_RUN_TYPE: run.runType,
  };
}

/** What exec knows of the run: from its `--publish-phases` flags, else from the delivery. */
export function runContextOf(
  options: Pick<ExecOptions, 'runId' | 'publish'>,
  opened: Pick<OpenedDelivery, 'delivery'>,
): RunContext {
  const known = options.publish;
  const delivery = opened.delivery;
  // The delivery carries what runtrail's registry says; flags only fill in for an older broker.
  return {
    runId: options.runId,
    callerType: delivery.caller?.type ?? known?.caller.type,
    callerSlug: delivery.caller?.slug ?? known?.caller.slug,
    spaceId: delivery.spaceId ?? known?.spaceId,
    runType: delivery.runType ?? known?.runType,
  };
}
