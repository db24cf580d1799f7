import { Controller, Get, Header, Param, UseFilters } from '@nestjs/common';
import { accountSlug, parseOrThrow, RuntrailError } from '@runtrail/contracts';
import { z } from 'zod';
import { JWKS_MAX_AGE_SECONDS, OidcIssuerConfig } from '../config/oidc-issuer.config';
import type { PublicSigningJwk } from '../keys/public-jwk';
import { SigningKeyRing } from '../keys/signing-key.ring';
import { discoveryDocument, type DiscoveryDocument } from './discovery.document';
import { ProblemJsonFilter } from '@runtrail/bootstrap';

const CACHE = `public, max-age=${JWKS_MAX_AGE_SECONDS}`;
const accountParam = z.object({ account: accountSlug });

/**
 * One OpenID issuer per account, path based: `<OIDC_PUBLIC_URL>/oidc/<account>`. Each account's
 * tokens carry its own `iss`, and an AWS OIDC provider is registered per issuer URL, so a role that
 * trusts one account's provider never accepts another account's tokens. All issuers share the
 * signing keys: isolation comes from `iss`, which the signature covers.
 */
@Controller('oidc')
@UseFilters(ProblemJsonFilter)
export class DiscoveryController {
  constructor(
    private readonly config: OidcIssuerConfig,
    private readonly ring: SigningKeyRing,
  ) {}

  @Get(':account/.well-known/openid-configuration')
  @Header('Cache-Control', CACHE)
  openidConfiguration(@Param('account') account: string): DiscoveryDocument {
    const algorithms = this.ring.algorithms();
    const announced = algorithms.includes(this.config.schedule.alg) ? algorithms : [this.config.schedule.alg, ...algorithms];
    return discoveryDocument(this.config.issuerOf(checkedAccount(account)), announced);
  }

  @Get(':account/.well-known/jwks')
  @Header('Cache-Control', CACHE)
  jwks(@Param('account') account: string): { keys: PublicSigningJwk[] } {
    checkedAccount(account);
    const keys = this.ring.publishedKeys();
    // An empty set would be cached by relying parties for max-age; say "try again" instead.
    if (!keys.length) throw new RuntrailError('UNAVAILABLE', 'the signing keys are not loaded yet; retry shortly');
    return { keys };
  }

  /** Anything else under an issuer: a problem+json 404 rather than Nest's HTML-less default. */
  @Get(':account/*rest')
  unknown(@Param('account') account: string): never {
    const issuer = this.config.issuerOf(checkedAccount(account));
    throw new RuntrailError('NOT_FOUND', `no such document; ${issuer} serves /.well-known/openid-configuration and /.well-known/jwks`);
  }
}

function checkedAccount(account: string): string {
  return parseOrThrow(accountParam, { account }, 'issuer path').account;
}
