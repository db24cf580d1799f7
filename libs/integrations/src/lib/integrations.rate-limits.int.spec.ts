import { freePort, startNatsServer, startTestEmulator, uniqueName } from '@runtrail/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IntegrationsApp } from '../spec/integrations-app.harness';

// One tenant cannot exhaust the API (and, through it, the shared STS identity) for everyone.
describe('integrations: REST rate limits per API key and per account', () => {
  let api: IntegrationsApp;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runtrail-rate-'));
    api = await IntegrationsApp.start(
      `sqlite:${join(dir, `${uniqueName('rate')}.sqlite`)}`,
      {
        nats: await startNatsServer(),
        emulator: await startTestEmulator(),
        ports: [await freePort(), await freePort()],
      },
      { API_RATE_LIMIT_PER_KEY: '5', API_RATE_LIMIT_PER_ACCOUNT: '8' },
    );
  });
  afterAll(async () => {
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers 429 with Retry-After past a key's limit, leaving other accounts alone", async () => {
    const acme = await api.account('acme');
    const globex = await api.account('globex');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await api.call('GET', '/v1/account', { key: acme })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const refused = await fetch(`${api.baseUrl}/v1/account`, {
      headers: { authorization: `Bearer ${acme}` },
    });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await refused.json()) as { code: string; detail: string }).toMatchObject({
      code: 'THROTTLED',
      detail: expect.stringContaining('too many requests for this API key'),
    });
    expect((await api.call('GET', '/v1/account', { key: globex })).status).toBe(200);
  });

  it("counts every key of an account against the account's limit", async () => {
    const first = await api.account('initech');
    const second = (
      await api.call<{ key: string }>('POST', '/v1/api-keys', {
        key: first,
        body: { name: 'second', role: 'reader' },
      })
    ).body.key;
    const get = async (key: string) => await api.call<{ detail?: string }>('GET', '/v1/account', { key });
    for (let i = 0; i < 3; i++) expect((await get(first)).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await get(second)).status).toBe(200);
    const over = await get(second);
    expect(over.status).toBe(429);
    expect(over.body.detail).toContain('too many requests for this account (at most 8 per 60 s)');
  });
});
