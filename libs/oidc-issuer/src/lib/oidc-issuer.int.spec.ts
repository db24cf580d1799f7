import { connect } from '@nats-io/transport-node';
import { IssueTokenBatchRequest, issueTokenBatchItemReply, RuntrailError, sealedTogether } from '@runtrail/contracts';
import { generateSealingKeyPair, open } from '@runtrail/sealing';
import { describeEachDatabase, freePort, startNatsServer, type RunningNatsServer } from '@runtrail/testing';
import { compactDecrypt, errors } from 'jose';
import { APPLY_RUN, CapturedOutput, IssuerApp } from '../spec/issuer-app.harness';
import { ManualClock } from '../spec/manual.clock';
import { newKek } from '../spec/issuer-env.fixture';
import { verifyWithPyJwt } from '../spec/python-jwt.verifier';
import { AWS_TAGS_CLAIM } from './tokens/aws-tags.claim';
import { AWS_SOURCE_IDENTITY_CLAIM } from './tokens/token-claims';
import { z } from 'zod';

const PRIVATE_PARAMS = ['d', 'p', 'q', 'dp', 'dq', 'qi'];
/** `aud` when a request names none and OIDC_DEFAULT_AUDIENCE is unset: the host name of OIDC_PUBLIC_URL. */
const HOST_AUDIENCE = '127.0.0.1';

/** `token` with one claim changed and the original signature kept. */
function tampered(token: string, change: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.');
  const claims = { ...(JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>), ...change };
  return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
}

async function joseError(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected jose to reject the token'),
    (error: unknown) => error,
  );
}

describeEachDatabase('oidc-issuer over HTTP and NATS', (db) => {
  // A nats-server of its own: oidc.v1.issue is a fixed subject, and other suites answer it too.
  let nats: RunningNatsServer;
  let issuer: IssuerApp;
  const clock = new ManualClock();
  const output = new CapturedOutput();
  const kek = newKek();
  const tokensSeen: string[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    output.start();
    issuer = await IssuerApp.start({ natsUrl: nats.url, port: await freePort(), clock, vars: { DATABASE_URL: db.databaseUrl, OIDC_KEK: kek } });
  });
  afterAll(async () => {
    await issuer?.close();
    output.stop();
    await nats?.stop();
  });

  it('publishes a discovery document per account, with cache headers', async () => {
    const response = await fetch(`${issuer.issuerOf('acme')}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    expect(await response.json()).toEqual({
      issuer: issuer.issuerOf('acme'),
      jwks_uri: issuer.jwksUrlOf('acme'),
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      scopes_supported: ['openid'],
      claims_supported: expect.arrayContaining(['sub', 'aud', 'spaceId', 'callerType', 'callerSlug', 'callerId', 'runType', 'runId', 'scope', AWS_TAGS_CLAIM, AWS_SOURCE_IDENTITY_CLAIM]),
    });
  });

  it('serves the public keys only, with cache headers', async () => {
    const response = await fetch(issuer.jwksUrlOf('acme'));
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    const { keys } = (await response.json()) as { keys: Array<Record<string, string>> };
    expect(keys).toEqual([{ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), kid: expect.any(String), alg: 'ES256', use: 'sig' }]);
  });

  it.each([
    ['/oidc/Acme/.well-known/jwks', 400, 'VALIDATION_FAILED', /account: must be 1-40 lowercase/],
    ['/oidc/a_b/.well-known/openid-configuration', 400, 'VALIDATION_FAILED', /account/],
    ['/oidc/acme/.well-known/keys', 404, 'NOT_FOUND', /serves \/.well-known\/openid-configuration and \/.well-known\/jwks/],
    ['/oidc/acme/.well-known/jwks/extra', 404, 'NOT_FOUND', /no such document/],
  ])('answers GET %s with %i problem+json', async (path, status, code, detail) => {
    const response = await fetch(`${issuer.baseUrl}${path}`);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ status, code, detail: expect.stringMatching(detail) });
  });

  it('issues a token over NATS that PyJWT and jose both accept', async () => {
    const { reply, token } = await issue({ sessionTags: { run: APPLY_RUN.runId, account: 'acme' } });
    const { keys } = await issuer.jwks();
    expect(reply).toMatchObject({
      issuer: issuer.issuerOf('acme'),
      audience: HOST_AUDIENCE,
      subject: 'space:root:stack:network:run_type:TRACKED:scope:write',
      kid: keys[0]!['kid'],
    });
    const expected = { jwksUrl: issuer.jwksUrlOf('acme'), issuer: reply.issuer, audience: reply.audience };
    const verdict = await verifyWithPyJwt(token, expected);
    expect(verdict).toMatchObject({ ok: true, alg: 'ES256' });
    const claims = verdict.ok ? verdict.claims : {};
    expect(claims).toMatchObject({
      sub: reply.subject,
      spaceId: 'root',
      callerType: 'stack',
      callerSlug: 'network',
      callerId: APPLY_RUN.callerId,
      runType: 'TRACKED',
      runId: APPLY_RUN.runId,
      scope: 'write',
      [AWS_SOURCE_IDENTITY_CLAIM]: APPLY_RUN.runId,
      [AWS_TAGS_CLAIM]: { principal_tags: { run: [APPLY_RUN.runId], account: ['acme'] }, transitive_tag_keys: ['run', 'account'] },
    });
    expect(new Date((claims['exp'] as number) * 1000).toISOString()).toBe(reply.expiresAt);
    expect((claims['exp'] as number) - (claims['iat'] as number)).toBe(3600);
    await expect(issuer.verifyWithJose(token, { issuer: reply.issuer, audience: reply.audience })).resolves.toMatchObject({ sub: reply.subject });
  });

  it("uses the account's audience, subject template and lifetime", async () => {
    const { reply, token } = await issue({ audience: 'acme-prod', subjectTemplate: 'acme:{callerType}:{callerId}', lifetimeSeconds: 900 });
    expect(reply).toMatchObject({ audience: 'acme-prod', subject: `acme:stack:${APPLY_RUN.callerId}` });
    const verdict = await verifyWithPyJwt(token, { jwksUrl: issuer.jwksUrlOf('acme'), issuer: reply.issuer, audience: 'acme-prod' });
    expect(verdict.ok && (verdict.claims['exp'] as number) - (verdict.claims['iat'] as number)).toBe(900);
  });

  it('keeps the old sub for a requester that sends no caller slug: the callerId stands in', async () => {
    const { reply } = await issue({ callerSlug: undefined });
    expect(reply.subject).toBe(`space:root:stack:${APPLY_RUN.callerId}:run_type:TRACKED:scope:write`);
  });

  it('answers a bad request with VALIDATION_FAILED over NATS', async () => {
    await expect(issue({ subjectTemplate: '{nope}' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('unknown placeholder {nope}') });
    await expect(issue({ sessionTags: { 'aws:x': '1' } })).rejects.toBeInstanceOf(RuntrailError);
  });

  it('issues a batch over NATS (oidc.v1.issue.batch): each token sealed on its own to the one reply key, each bad item refused alone', async () => {
    const pair = await generateSealingKeyPair();
    const other = '01HZY1V6QK3M7W3X9T2B5C8D4F';
    const reply = await issuer.bus.request(IssueTokenBatchRequest, {
      replyKey: pair.publicJwk,
      items: [
        APPLY_RUN,
        { ...APPLY_RUN, subjectTemplate: '{nope}' },
        { ...APPLY_RUN, runId: 'not-a-ulid' },
        { ...APPLY_RUN, runId: other, audience: 'acme-prod', lifetimeSeconds: 900 },
      ],
    });
    // The envelope leaves items unchecked; each answer must match the contract's item schema.
    const items = reply.items.map((item) => issueTokenBatchItemReply.parse(item));
    expect(items.map((item) => item.ok)).toEqual([true, false, false, true]);
    expect(items[1]).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', message: expect.stringContaining('unknown placeholder {nope}') } });
    expect(items[2]).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', issues: [expect.objectContaining({ path: 'runId' })] } });
    const [first, , , fourth] = items;
    if (!first?.ok || !fourth?.ok || !('data' in first) || !('data' in fourth)) throw new Error('expected full answers for items 0 and 3');
    // Its own content key and IV each (never the same ciphertext twice), opened with the one reply key.
    const [a, b] = [first.data.sealedToken.split('.'), fourth.data.sealedToken.split('.')];
    expect(a[1]).not.toBe(b[1]);
    expect(a[2]).not.toBe(b[2]);
    const tokens = await Promise.all([first, fourth].map((item) => open(item.data.sealedToken, pair.privateKey, z.string())));
    tokensSeen.push(...tokens);
    await expect(issuer.verifyWithJose(tokens[0]!, { issuer: first.data.issuer, audience: HOST_AUDIENCE })).resolves.toMatchObject({
      sub: first.data.subject,
      runId: APPLY_RUN.runId,
    });
    const verdict = await verifyWithPyJwt(tokens[1]!, { jwksUrl: issuer.jwksUrlOf('acme'), issuer: fourth.data.issuer, audience: 'acme-prod' });
    expect(verdict).toMatchObject({ ok: true, claims: { runId: other } });
    expect(verdict.ok && (verdict.claims['exp'] as number) - (verdict.claims['iat'] as number)).toBe(900);
  });

  it('answers a compact batch with the sealed tokens beside the protected header they share, each sealed on its own', async () => {
    const pair = await generateSealingKeyPair();
    const reply = await issuer.bus.request(IssueTokenBatchRequest, {
      replyKey: pair.publicJwk,
      items: [APPLY_RUN, { ...APPLY_RUN, runId: 'not-a-ulid' }, { ...APPLY_RUN, audience: 'acme-prod' }],
      compact: true,
    });
    const items = reply.items.map((item) => issueTokenBatchItemReply.parse(item));
    expect(items[1]).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    const sealed = [items[0], items[2]].map((item): string | undefined => (item && 'sealed' in item && typeof item.sealed === 'string' ? item.sealed : undefined));
    expect(sealed.every((part) => part?.split('.').length === 4)).toBe(true);
    const jwes = sealed.map((part) => `${reply.sealedHeader}.${part}`);
    expect(jwes[0]!.split('.')[1]).not.toBe(jwes[1]!.split('.')[1]);
    const tokens = await Promise.all(jwes.map((jwe) => open(jwe, pair.privateKey, z.string())));
    tokensSeen.push(...tokens);
    await expect(issuer.verifyWithJose(tokens[1]!, { issuer: issuer.issuerOf('acme'), audience: 'acme-prod' })).resolves.toMatchObject({ runId: APPLY_RUN.runId });
    // The header is the JWE's authenticated data: another header does not open a token.
    const otherHeader = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(reply.sealedHeader!, 'base64url').toString()), kid: 'x' })).toString('base64url');
    await expect(open(`${otherHeader}.${sealed[0]}`, pair.privateKey)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  });

  it('answers a sealTogether batch with one JWE holding every token in item order (null for a refused item), each answer { ok: true }', async () => {
    const pair = await generateSealingKeyPair();
    const reply = await issuer.bus.request(IssueTokenBatchRequest, {
      replyKey: pair.publicJwk,
      items: [APPLY_RUN, { ...APPLY_RUN, runId: 'not-a-ulid' }, { ...APPLY_RUN, audience: 'acme-prod' }],
      compact: true,
      sealTogether: true,
    });
    expect(reply.sealedHeader).toBeUndefined();
    expect(reply.items.map((item) => issueTokenBatchItemReply.parse(item))).toEqual([
      { ok: true },
      { ok: false, error: expect.objectContaining({ code: 'VALIDATION_FAILED', issues: [expect.objectContaining({ path: 'runId' })] }) },
      { ok: true },
    ]);
    // A standard JWE to the reply key: jose opens it too; nothing of a token is in the reply beside it.
    const { plaintext } = await compactDecrypt(reply.sealedTokens!, pair.privateKey);
    const tokens = sealedTogether.parse(JSON.parse(new TextDecoder().decode(plaintext)));
    expect(tokens[1]).toBeNull();
    tokensSeen.push(...(tokens.filter(Boolean) as string[]));
    await expect(issuer.verifyWithJose(tokens[2]!, { issuer: issuer.issuerOf('acme'), audience: 'acme-prod' })).resolves.toMatchObject({ runId: APPLY_RUN.runId });
    await expect(issuer.verifyWithJose(tokens[0]!, { issuer: issuer.issuerOf('acme'), audience: HOST_AUDIENCE })).resolves.toMatchObject({ runId: APPLY_RUN.runId });
    for (const token of tokens.filter(Boolean) as string[]) expect(JSON.stringify(reply)).not.toContain(token.split('.')[2]);
    // Another key cannot open it.
    await expect(open(reply.sealedTokens!, (await generateSealingKeyPair()).privateKey)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  });

  it('answers a sealTogether batch whose items were all refused without sealedTokens', async () => {
    const { publicJwk } = await generateSealingKeyPair();
    const reply = await issuer.bus.request(IssueTokenBatchRequest, { replyKey: publicJwk, items: [{ ...APPLY_RUN, runId: 'not-a-ulid' }], sealTogether: true });
    expect(reply.sealedTokens).toBeUndefined();
    expect(reply.items).toEqual([{ ok: false, error: expect.objectContaining({ code: 'VALIDATION_FAILED' }) }]);
    const offCurve = { ...publicJwk, x: publicJwk.y };
    const bad = await issuer.bus.request(IssueTokenBatchRequest, { replyKey: offCurve, items: [APPLY_RUN], sealTogether: true });
    expect(bad).toEqual({ items: [{ ok: false, error: expect.objectContaining({ code: 'VALIDATION_FAILED', message: expect.stringContaining('publicJwk') }) }] });
  });

  it('answers every item of a batch whose reply key is not a point on P-256 with VALIDATION_FAILED, a bad item with its own error', async () => {
    const { publicJwk } = await generateSealingKeyPair();
    const offCurve = { ...publicJwk, x: publicJwk.y };
    const reply = await issuer.bus.request(IssueTokenBatchRequest, { replyKey: offCurve, items: [APPLY_RUN, { ...APPLY_RUN, runId: 'not-a-ulid' }, APPLY_RUN] });
    expect(reply.items).toEqual([
      { ok: false, error: expect.objectContaining({ code: 'VALIDATION_FAILED', message: expect.stringContaining('publicJwk') }) },
      { ok: false, error: expect.objectContaining({ code: 'VALIDATION_FAILED', issues: [expect.objectContaining({ path: 'runId' })] }) },
      { ok: false, error: expect.objectContaining({ code: 'VALIDATION_FAILED', message: expect.stringContaining('publicJwk') }) },
    ]);
  });

  it('refuses a batch that is empty or larger than 64 as a whole (sent raw: MessageBus would refuse it before sending)', async () => {
    const { publicJwk } = await generateSealingKeyPair();
    const nc = await connect({ servers: nats.url });
    try {
      for (const items of [[], Array.from({ length: 65 }, () => APPLY_RUN)]) {
        const answer = await nc.request(IssueTokenBatchRequest.subject, JSON.stringify({ replyKey: publicJwk, items }), { timeout: 10_000 });
        expect(answer.json()).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', issues: [expect.objectContaining({ path: 'items' })] } });
      }
    } finally {
      await nc.close();
    }
  });

  describe('tokens a verifier must refuse', () => {
    let good: { token: string; issuer: string };
    beforeAll(async () => {
      const { reply, token } = await issue();
      good = { token, issuer: reply.issuer };
    });
    const expect_ = (account = 'acme', audience = HOST_AUDIENCE) => ({ jwksUrl: issuer.jwksUrlOf(account), issuer: issuer.issuerOf(account), audience });

    it('a tampered token (claims changed, signature kept)', async () => {
      const forged = tampered(good.token, { sub: 'space:root:stack:01HZY1V6QK3M7W3X9T2B5C8D4F:run_type:TRACKED:scope:write' });
      expect(await verifyWithPyJwt(forged, expect_())).toMatchObject({ ok: false, error: 'InvalidSignatureError' });
      expect(await joseError(issuer.verifyWithJose(forged, { issuer: good.issuer }))).toBeInstanceOf(errors.JWSSignatureVerificationFailed);
    });

    it('an expired token', async () => {
      const realNow = clock.now();
      clock.set(realNow.getTime() - 2 * 3600_000);
      const { token } = await issue({ lifetimeSeconds: 60 }).finally(() => clock.set(realNow));
      expect(await verifyWithPyJwt(token, expect_())).toMatchObject({ ok: false, error: 'ExpiredSignatureError' });
      expect(await joseError(issuer.verifyWithJose(token, { issuer: good.issuer }))).toBeInstanceOf(errors.JWTExpired);
    });

    it('a token for another audience', async () => {
      expect(await verifyWithPyJwt(good.token, expect_('acme', 'acme-prod'))).toMatchObject({ ok: false, error: 'InvalidAudienceError' });
      expect(await joseError(issuer.verifyWithJose(good.token, { audience: 'acme-prod' }))).toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' });
    });

    it("another account's token: the issuer differs, so globex's provider never trusts acme's tokens", async () => {
      expect(await verifyWithPyJwt(good.token, expect_('globex'))).toMatchObject({ ok: false, error: 'InvalidIssuerError' });
      expect(await joseError(issuer.verifyWithJose(good.token, { issuer: issuer.issuerOf('globex'), account: 'globex' }))).toMatchObject({ claim: 'iss' });
    });
  });

  it('rotates: old tokens verify until their key leaves the JWKS, the new key is published before it signs', async () => {
    const day = 86_400_000;
    const before = await issue();
    const first = before.reply.kid;
    const verify = (token: string) => verifyWithPyJwt(token, { jwksUrl: issuer.jwksUrlOf('acme'), issuer: issuer.issuerOf('acme'), audience: HOST_AUDIENCE });
    const kids = async () => (await issuer.jwks()).keys.map((k) => k['kid']);

    clock.advance(7 * day - 10 * 60_000);
    await issuer.rotate();
    const published = await kids();
    expect(published).toHaveLength(2);
    const second = published.find((k) => k !== first)!;
    const lastOfFirst = await issue({ lifetimeSeconds: 43_200 });
    expect(lastOfFirst.reply.kid).toBe(first);

    clock.advance(10 * 60_000);
    await issuer.rotate();
    expect(await kids()).toEqual([second, first]);
    const after = await issue();
    expect(after.reply.kid).toBe(second);
    await expect(issuer.verifyWithJose(after.token, { currentDate: clock.now() })).resolves.toBeDefined();
    expect(await verify(before.token)).toMatchObject({ ok: true });
    await expect(issuer.verifyWithJose(lastOfFirst.token, { currentDate: new Date(clock.now().getTime() + 11 * 3600_000) })).resolves.toBeDefined();

    clock.advance(12 * 3600_000 + 120_000);
    await issuer.rotate();
    expect(await kids()).toEqual([second]);
    // Still inside its own lifetime by the wall clock, but its key is gone: nobody accepts it any more.
    expect(await verify(before.token)).toMatchObject({ ok: false, error: 'PyJWKClientError' });
    expect(await joseError(issuer.verifyWithJose(before.token, {}))).toBeInstanceOf(errors.JWKSNoMatchingKey);
    for (const key of (await issuer.jwks()).keys) for (const p of PRIVATE_PARAMS) expect(key).not.toHaveProperty(p);
  });

  it('never writes a token or a private key to its logs', async () => {
    await issue({ sessionTags: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`t${i}`, 'v'.repeat(256)])) });
    const logs = output.text;
    expect(logs).toContain('answering oidc.v1.issue');
    expect(logs).toContain('answering oidc.v1.issue.batch');
    expect(logs).toMatch(/session tags t\d+.* left out of the token/);
    expect(tokensSeen.length).toBeGreaterThan(5);
    for (const token of tokensSeen) {
      expect(logs).not.toContain(token);
      expect(logs).not.toContain(token.split('.')[2]);
    }
    expect(logs).not.toContain(kek);
    expect(logs).not.toMatch(/"d":"/);
  });

  async function issue(input: Parameters<IssuerApp['issue']>[0] = {}) {
    const issued = await issuer.issue(input);
    tokensSeen.push(issued.token);
    return issued;
  }
});
