import { freePort, startNatsServer, type RunningNatsServer } from '@runtrail/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CapturedOutput, IssuerApp } from '../spec/issuer-app.harness';
import { ManualClock } from '../spec/manual.clock';
import { verifyWithPyJwt } from '../spec/python-jwt.verifier';

describe('oidc-issuer with OIDC_SIGNING_ALG=RS256', () => {
  let nats: RunningNatsServer;
  let issuer: IssuerApp;
  let dataDir: string;
  const output = new CapturedOutput();

  beforeAll(async () => {
    nats = await startNatsServer();
    dataDir = mkdtempSync(join(tmpdir(), 'runtrail-oidc-rs256-'));
    output.start();
    issuer = await IssuerApp.start({
      natsUrl: nats.url,
      port: await freePort(),
      clock: new ManualClock(),
      vars: { DATABASE_URL: `sqlite:${join(dataDir, 'oidc.sqlite')}`, OIDC_SIGNING_ALG: 'RS256' },
    });
  });
  afterAll(async () => {
    await issuer?.close();
    output.stop();
    await nats?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('publishes an RSA public key without any private member', async () => {
    const { keys } = await issuer.jwks();
    expect(keys).toEqual([{ kty: 'RSA', n: expect.stringMatching(/^[\w-]{342}$/), e: 'AQAB', kid: expect.any(String), alg: 'RS256', use: 'sig' }]);
    const discovery = (await (await fetch(`${issuer.issuerOf('acme')}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery['id_token_signing_alg_values_supported']).toEqual(['RS256']);
  });

  it('issues RS256 tokens that PyJWT accepts', async () => {
    const { reply, token } = await issuer.issue();
    expect(await verifyWithPyJwt(token, { jwksUrl: issuer.jwksUrlOf('acme'), issuer: reply.issuer, audience: reply.audience })).toMatchObject({
      ok: true,
      alg: 'RS256',
      claims: { sub: reply.subject },
    });
    expect(output.text).not.toContain(token.split('.')[2]);
  });
});
