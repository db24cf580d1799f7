import { ConfigError, loadConfig } from '@runtrail/config';
import { randomBytes } from 'node:crypto';
import { oidcIssuerConfig } from './config/oidc-issuer.config';
import { oidcIssuerEnv } from './oidc-issuer.env';

const kek = randomBytes(32).toString('base64');
const base = { OIDC_PUBLIC_URL: 'https://runtrail.example.com', OIDC_KEK: kek };

function problemsOf(env: Record<string, string>): Record<string, string> {
  try {
    loadConfig(oidcIssuerEnv, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    expect(JSON.stringify({ m: error.message, b: error.toJSON() })).not.toContain(env['OIDC_KEK'] ?? '\u0000');
    return Object.fromEntries(error.problems.map((p) => [p.path, p.rule]));
  }
  throw new Error('expected a ConfigError');
}

describe('oidcIssuerEnv', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig(oidcIssuerEnv, base)).toMatchObject({
      SERVICE_NAME: 'oidc-issuer',
      OIDC_PUBLIC_URL: 'https://runtrail.example.com',
      OIDC_SIGNING_ALG: 'ES256',
      OIDC_TOKEN_LIFETIME: 3600,
      OIDC_MAX_TOKEN_LIFETIME: 43200,
      OIDC_ROTATION_INTERVAL: 7 * 86400,
      OIDC_MAX_PUBLISHED_KEYS: 4,
    });
  });

  it("defaults the audience to the public URL's host name (as Spacelift's tokens carry theirs) unless OIDC_DEFAULT_AUDIENCE is set", () => {
    const audienceOf = (env: Record<string, string>) => oidcIssuerConfig(loadConfig(oidcIssuerEnv, { ...base, ...env })).defaultAudience;
    expect(audienceOf({})).toBe('runtrail.example.com');
    expect(audienceOf({ OIDC_PUBLIC_URL: 'http://127.0.0.1:8080/api' })).toBe('127.0.0.1');
    expect(audienceOf({ OIDC_DEFAULT_AUDIENCE: 'sts.amazonaws.com' })).toBe('sts.amazonaws.com');
  });

  it('requires OIDC_PUBLIC_URL and OIDC_KEK, naming both at once', () => {
    const problems = problemsOf({});
    expect(problems['OIDC_PUBLIC_URL']).toBe('is required');
    expect(problems['OIDC_KEK']).toBe('is required');
  });

  it.each(['https://oidc.example.com/runtrail/', 'http://127.0.0.1:8080', 'http://localhost:3000', 'http://[::1]:8080'])(
    'accepts the public URL %p',
    (url) => {
      expect(loadConfig(oidcIssuerEnv, { ...base, OIDC_PUBLIC_URL: url }).OIDC_PUBLIC_URL).toBe(url.replace(/\/$/, ''));
    },
  );

  it.each(['http://runtrail.example.com', 'http://10.0.0.1', 'https://u:p@runtrail.example.com', 'https://x.example.com/?a=1', 'https://x.example.com/#f', 'ftp://x'])(
    'refuses the public URL %p: AWS only fetches https issuers',
    (url) => {
      expect(problemsOf({ ...base, OIDC_PUBLIC_URL: url })['OIDC_PUBLIC_URL']).toMatch(/^must be the https URL/);
    },
  );

  it('accepts a base64url KEK and refuses one of the wrong length without quoting it', () => {
    expect(() => loadConfig(oidcIssuerEnv, { ...base, OIDC_KEK: randomBytes(32).toString('base64url') })).not.toThrow();
    const short = randomBytes(16).toString('base64');
    const rule = problemsOf({ ...base, OIDC_KEK: short })['OIDC_KEK'];
    expect(rule).toContain('exactly 32 random bytes');
    expect(rule).not.toContain(short);
  });

  it('reads durations and the algorithm', () => {
    const env = loadConfig(oidcIssuerEnv, { ...base, OIDC_TOKEN_LIFETIME: '15m', OIDC_ROTATION_INTERVAL: '30d', OIDC_SIGNING_ALG: 'RS256' });
    expect([env.OIDC_TOKEN_LIFETIME, env.OIDC_ROTATION_INTERVAL, env.OIDC_SIGNING_ALG]).toEqual([900, 30 * 86400, 'RS256']);
    expect(problemsOf({ ...base, OIDC_SIGNING_ALG: 'HS256' })['OIDC_SIGNING_ALG']).toMatch(/^must be ES256 or RS256/);
    expect(problemsOf({ ...base, OIDC_TOKEN_LIFETIME: '13h' })['OIDC_TOKEN_LIFETIME']).toMatch(/from 60s to 43200s/);
    expect(problemsOf({ ...base, OIDC_MAX_PUBLISHED_KEYS: '11' })['OIDC_MAX_PUBLISHED_KEYS']).toMatch(/from 2 to 10/);
  });
});

describe('oidcIssuerConfig', () => {
  it('builds issuer URLs per account and a schedule whose retention covers the longest token', () => {
    const config = oidcIssuerConfig(loadConfig(oidcIssuerEnv, { ...base, OIDC_PUBLIC_URL: 'https://runtrail.example.com/', OIDC_MAX_TOKEN_LIFETIME: '2h' }));
    expect(config.issuerOf('acme')).toBe('https://runtrail.example.com/oidc/acme');
    expect(config.schedule.retentionSeconds).toBeGreaterThan(7200);
    expect(config.schedule.publishLeadSeconds).toBeGreaterThanOrEqual(300);
    expect(JSON.stringify(config)).not.toContain(kek);
  });

  it('refuses a default lifetime above the maximum', () => {
    const env = loadConfig(oidcIssuerEnv, { ...base, OIDC_TOKEN_LIFETIME: '3h', OIDC_MAX_TOKEN_LIFETIME: '2h' });
    expect(() => oidcIssuerConfig(env)).toThrow(/OIDC_TOKEN_LIFETIME: must not exceed OIDC_MAX_TOKEN_LIFETIME \(7200s\)/);
  });
});
