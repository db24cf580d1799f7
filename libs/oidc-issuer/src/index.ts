export { OidcIssuerModule } from './lib/oidc-issuer.module';
export { oidcIssuerEnv, type OidcIssuerEnv } from './lib/oidc-issuer.env';
