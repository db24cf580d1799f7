export { OidcIssuerModule, type OidcIssuerModuleOptions } from './lib/oidc-issuer.module';
export { oidcIssuerEnv, decodeKek, MAX_REQUESTABLE_LIFETIME_SECONDS, type OidcIssuerEnv } from './lib/oidc-issuer.env';
export { oidcIssuerPersistence } from './lib/oidc-issuer.persistence';
export { Clock, SystemClock } from './lib/config/clock';
export {
  OidcIssuerConfig,
  oidcIssuerConfig,
  JWKS_MAX_AGE_SECONDS,
  KEY_REFRESH_SECONDS,
  CLOCK_SKEW_SECONDS,
  PUBLISH_LEAD_SECONDS,
  type KeySchedule,
} from './lib/config/oidc-issuer.config';
export { KeyRotationService } from './lib/keys/key-rotation.service';
export { SigningKeyRing } from './lib/keys/signing-key.ring';
export { SIGNING_ALGS, type SigningAlg } from './lib/keys/signing-alg';
export type { PublicSigningJwk } from './lib/keys/public-jwk';
export { planRotation, type KeyState, type RotationStep } from './lib/keys/rotation.plan';
export { AWS_TAGS_CLAIM, AWS_TAGS_CLAIM_MAX_CHARS, RUNTRAIL_TAG_DROP_ORDER, awsTagsClaim, type AwsTagsClaim } from './lib/tokens/aws-tags.claim';
export { AWS_SOURCE_IDENTITY_CLAIM, CUSTOM_CLAIMS, SUPPORTED_CLAIMS, type TokenClaims } from './lib/tokens/token-claims';
export { discoveryDocument, type DiscoveryDocument } from './lib/discovery/discovery.document';
