export { VerifierModule } from './lib/verifier.module';
export { verifierEnv, type VerifierEnv } from './lib/verifier.env';
