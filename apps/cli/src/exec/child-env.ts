import type { LiveCredentials } from './credentials';

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
];

export interface ChildEnvInput {
  base: NodeJS.ProcessEnv;
  credentials: LiveCredentials;
  container: { url: string; authorizationToken: string };
  /** Leave the key variables out so the SDK's chain reaches the container endpoint (it reads env keys first). */
  containerOnly: boolean;
  /** OIDC mode: where the web identity token is written. */
  webIdentityTokenFile?: string;
}

/** The command's environment: the worker's, minus its AWS identity, plus the run's credentials. */
export function childEnv(input: ChildEnvInput): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...input.base };
  for (const name of AMBIENT_AWS) delete env[name];
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
