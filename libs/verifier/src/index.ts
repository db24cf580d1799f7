export { VerifierModule, type VerifierModuleOptions } from './lib/verifier.module';
export { verifierEnv, type VerifierEnv } from './lib/verifier.env';
export {
  StsGateway,
  type AssumeOutcome,
  type AssumeRoleInput,
  type WebIdentityInput,
} from './lib/sts/sts.gateway';
export { AwsStsGateway } from './lib/sts/aws-sts.gateway';
