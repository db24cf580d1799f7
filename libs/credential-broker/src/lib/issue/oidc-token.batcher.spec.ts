import {
  IssueTokenBatchRequest,
  IssueTokenRequest,
  RuntrailError,
  type IssueTokenBatchItem,
  type IssueTokenBatchItemReply,
  type IssueTokenReply,
  type RequestContract,
} from '@runtrail/contracts';
import type { MessageBus } from '@runtrail/messaging';
import { generateSealingKeyPair, SealingSession, type seal } from '@runtrail/sealing';
import { OidcTokenBatcher, type OidcTokenBatcherOptions } from './oidc-token.batcher';

const ITEM: IssueTokenBatchItem = {
  account: 'acme',
  spaceId: 'root',
  callerType: 'stack',
  callerId: '01HZY1V6QK3M7W3X9T2B5C8D4E',
  runType: 'TRACKED',
  runId: '01DSJ63P40BAZY4VW8BXXG7M4K',
  scope: 'write',
};
/** Lets the event loop turn until `done()` (the batcher generates its reply key before the first request). */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((next) => setImmediate(next));
}

const item = (n: number): IssueTokenBatchItem => ({ ...ITEM, audience: `aud-${n}` });

type Payload = { replyKey: Parameters<typeof seal>[1]; items?: IssueTokenBatchItem[]; audience?: string; compact?: true; sealTogether?: true };
type Answer = (item: IssueTokenBatchItem, index: number) => Promise<IssueTokenBatchItemReply> | IssueTokenBatchItemReply;

/**
 * A stand-in oidc-issuer answering every item with `token-<audience>` sealed to the reply key, unless
 * `answer` says otherwise; asked `sealTogether`, it answers as the issuer does (one `sealedTokens`
 * JWE, `null` for an item `answer` answered, `{ ok: true }` for the others) unless `predates` says it
 * is older; asked `compact`, likewise (`sealed` beside the shared `sealedHeader`).
 */
function fakeBus(
  options: { answer?: Answer; batch?: (payload: Payload) => Promise<void> | void; predates?: 'sealTogether' | 'compact' } = {},
) {
  const calls: { subject: string; payload: Payload; timeoutMs?: number }[] = [];
  const session = new SealingSession({ ttlMs: 60_000 });
  const tokenFor = async (it: IssueTokenBatchItem, replyKey: Payload['replyKey']): Promise<{ ok: true; data: IssueTokenReply }> => ({
    ok: true,
    data: {
      sealedToken: await session.seal(`token-${it.audience}`, replyKey),
      issuer: 'http://127.0.0.1/oidc/acme',
      audience: it.audience ?? 'default',
      subject: 'space:root:stack:x',
      kid: 'k1',
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    },
  });
  const request = jest.fn(async (contract: RequestContract, payload: Payload, opts?: { timeoutMs?: number }): Promise<unknown> => {
    calls.push({ subject: contract.subject, payload, timeoutMs: opts?.timeoutMs });
    if (contract.subject === IssueTokenRequest.subject) return (await tokenFor(payload as unknown as IssueTokenBatchItem, payload.replyKey)).data;
    await options.batch?.(payload);
    const answered = await Promise.all(payload.items!.map(async (it, i) => options.answer?.(it, i)));
    if (payload.sealTogether && !options.predates) {
      const tokens = payload.items!.map((it, i) => (answered[i] ? null : `token-${it.audience}`));
      return { sealedTokens: await session.seal(tokens, payload.replyKey), items: answered.map((it) => it ?? { ok: true }) };
    }
    const items = await Promise.all(payload.items!.map(async (it, i): Promise<IssueTokenBatchItemReply> => answered[i] ?? tokenFor(it, payload.replyKey)));
    if (!payload.compact || options.predates === 'compact') return { items };
    const sealedHeader = items.flatMap((it) => ('data' in it ? [it.data.sealedToken.split('.')[0]!] : []))[0];
    const compact = items.map((it) => ('data' in it ? { ok: true, sealed: it.data.sealedToken.slice(`${sealedHeader}.`.length) } : it));
    return { sealedHeader, items: compact };
  });
  const batcher = (opts: Partial<OidcTokenBatcherOptions> = {}) =>
    new OidcTokenBatcher({ request } as unknown as Pick<MessageBus, 'request'>, { replyKeyTtlMs: 60_000, ...opts });
  const batchSizes = () => calls.filter((c) => c.subject === IssueTokenBatchRequest.subject).map((c) => c.payload.items!.length);
  return { request, calls, batcher, batchSizes };
}

/** A stand-in whose answer to the batch holding `aud-0` waits for `release()`: a batch on its way. */
function holdingFirstBatch() {
  let release!: () => void;
  const held = new Promise<void>((done) => (release = done));
  const bus = fakeBus({ batch: (p) => (p.items![0]!.audience === 'aud-0' ? held : undefined) });
  return { bus, release: () => release() };
}

describe('OidcTokenBatcher', () => {
  it('sends a lone token at once (no waiting window) and opens its sealed reply', async () => {
    const bus = fakeBus();
    const batcher = bus.batcher({ windowMs: 60_000 });
    await expect(batcher.token(item(1))).resolves.toBe('token-aud-1');
    expect(bus.batchSizes()).toEqual([1]);
    expect(bus.calls[0]!.payload.replyKey).toMatchObject({ kty: 'EC', crv: 'P-256' });
  });

  it('coalesces the tokens asked in the same turn of the event loop into one batch, each answered in order', async () => {
    const bus = fakeBus();
    const batcher = bus.batcher({ pipeline: 1 });
    const tokens = await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.token(item(n))));
    expect(tokens).toEqual(['token-aud-1', 'token-aud-2', 'token-aud-3', 'token-aud-4', 'token-aud-5']);
    expect(bus.batchSizes()).toEqual([5]);
  });

  it('splits what was asked together to fill the pipeline: two batches on their way by default', async () => {
    const bus = fakeBus();
    const batcher = bus.batcher();
    const tokens = await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.token(item(n))));
    expect(tokens).toEqual(['token-aud-1', 'token-aud-2', 'token-aud-3', 'token-aud-4', 'token-aud-5']);
    expect(bus.batchSizes()).toEqual([3, 2]);
  });

  it('never puts more than maxBatch tokens in one request, flushing as soon as that many wait', async () => {
    const { bus, release } = holdingFirstBatch();
    const batcher = bus.batcher({ maxBatch: 4, windowMs: 60_000 });
    const first = batcher.token(item(0));
    await until(() => bus.calls.length === 1);
    expect(bus.batchSizes()).toEqual([1]);
    // A batch is on its way, so these would wait the (huge) window, but 4 fill a batch and 8 fill two.
    const rest = Array.from({ length: 8 }, (_, i) => batcher.token(item(i + 1)));
    await until(() => bus.calls.length === 3);
    expect(bus.batchSizes()).toEqual([1, 4, 4]);
    release();
    await expect(first).resolves.toBe('token-aud-0');
    await expect(Promise.all(rest)).resolves.toEqual(rest.map((_, i) => `token-aud-${i + 1}`));
    expect(bus.batchSizes()).toEqual([1, 4, 4]);
  });

  it('sends what waited when the window ends while another batch is on its way', async () => {
    const { bus, release } = holdingFirstBatch();
    const batcher = bus.batcher({ windowMs: 200, pipeline: 1 });
    const first = batcher.token(item(0));
    await until(() => bus.calls.length === 1);
    const asked = performance.now();
    const second = [batcher.token(item(1)), batcher.token(item(2))];
    await until(() => bus.calls.length === 2);
    expect(performance.now() - asked).toBeGreaterThanOrEqual(190);
    expect(bus.batchSizes()).toEqual([1, 2]);
    release();
    await expect(Promise.all([first, ...second])).resolves.toEqual(['token-aud-0', 'token-aud-1', 'token-aud-2']);
  });

  it('sends what waited as soon as a batch comes back, before the window ends', async () => {
    const { bus, release } = holdingFirstBatch();
    const batcher = bus.batcher({ windowMs: 60_000, pipeline: 1 });
    const first = batcher.token(item(0));
    await until(() => bus.calls.length === 1);
    const second = [batcher.token(item(1)), batcher.token(item(2))];
    await new Promise((next) => setTimeout(next, 20));
    expect(bus.batchSizes()).toEqual([1]);
    release();
    await expect(Promise.all([first, ...second])).resolves.toEqual(['token-aud-0', 'token-aud-1', 'token-aud-2']);
    expect(bus.batchSizes()).toEqual([1, 2]);
  });

  it("fails only the item the issuer refused; the others get their tokens", async () => {
    const bus = fakeBus({
      answer: (it) =>
        it.audience === 'aud-2' ? { ok: false, error: { code: 'VALIDATION_FAILED', message: 'bad subject template', issues: [{ path: 'subjectTemplate', rule: 'unknown placeholder' }] } } : undefined!,
    });
    const batcher = bus.batcher({ pipeline: 1 });
    const results = await Promise.allSettled([1, 2, 3].map((n) => batcher.token(item(n))));
    expect(results[0]).toEqual({ status: 'fulfilled', value: 'token-aud-1' });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { code: 'VALIDATION_FAILED', message: 'bad subject template' } });
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(RuntrailError);
    expect(results[2]).toEqual({ status: 'fulfilled', value: 'token-aud-3' });
    expect(bus.batchSizes()).toEqual([3]);
  });

  it('asks for the tokens sealed together and opens the one JWE of the batch once', async () => {
    const bus = fakeBus();
    const batcher = bus.batcher({ pipeline: 1 });
    await expect(Promise.all([1, 2, 3].map((n) => batcher.token(item(n))))).resolves.toEqual(['token-aud-1', 'token-aud-2', 'token-aud-3']);
    expect(bus.calls[0]!.payload).toMatchObject({ sealTogether: true, compact: true });
    const reply = (await bus.request.mock.results[0]!.value) as { sealedTokens?: string; items: unknown[] };
    expect(reply.sealedTokens?.split('.')).toHaveLength(5);
    expect(reply.items).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
  });

  it('fails a sealTogether reply that cannot be opened, or whose entries do not match its items, for every token of the batch', async () => {
    const other = fakeBus();
    const alien = (await other.request(IssueTokenBatchRequest, { replyKey: (await generateSealingKeyPair()).publicJwk, items: [item(1)], sealTogether: true } as never)) as {
      sealedTokens: string;
    };
    for (const [sealedTokens, code] of [
      [alien.sealedTokens, 'ACCESS_DENIED'],
      ['not-a-jwe', 'VALIDATION_FAILED'],
    ] as const) {
      const bus = fakeBus();
      const request = bus.request.getMockImplementation()!;
      bus.request.mockImplementation(async (...args) => ({ ...((await request(...args)) as object), sealedTokens }));
      const batcher = bus.batcher({ pipeline: 1 });
      const results = await Promise.allSettled([1, 2].map((n) => batcher.token(item(n))));
      expect(results).toEqual([1, 2].map(() => ({ status: 'rejected', reason: expect.objectContaining({ code }) })));
    }
    // Sealed for two items where the batch has three (its own reply key: it opens, then the count fails).
    const bus = fakeBus();
    const request = bus.request.getMockImplementation()!;
    bus.request.mockImplementation(async (contract, payload: Payload, opts) => {
      const reply = (await request(contract, payload, opts)) as { sealedTokens: string };
      const short = (await request(contract, { ...payload, items: payload.items!.slice(1) }, opts)) as { sealedTokens: string };
      return { ...reply, sealedTokens: short.sealedTokens };
    });
    const batcher = bus.batcher({ pipeline: 1 });
    const short = await Promise.allSettled([1, 2, 3].map((n) => batcher.token(item(n))));
    expect(short.map((r) => r.status === 'rejected' && (r.reason as RuntrailError).message)).toEqual(
      [1, 2, 3].map(() => `${IssueTokenBatchRequest.subject} sealed 2 entries for 3 tokens`),
    );
  });

  it('fails a token whose answer says it is in sealedTokens when the reply has none, or has null for it', async () => {
    const bus = fakeBus({ answer: (it) => (it.audience === 'aud-2' ? { ok: true } : undefined!) });
    const batcher = bus.batcher({ pipeline: 1 });
    const results = await Promise.allSettled([1, 2, 3].map((n) => batcher.token(item(n))));
    expect(results[0]).toEqual({ status: 'fulfilled', value: 'token-aud-1' });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { code: 'VALIDATION_FAILED', message: expect.stringContaining('reply item 1: no token for it') } });
    expect(results[2]).toEqual({ status: 'fulfilled', value: 'token-aud-3' });
    const noneSealed = fakeBus({ predates: 'compact', answer: () => ({ ok: true }) });
    await expect(noneSealed.batcher().token(item(1))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('opens each token from the shared protected header and its own sealed part, from an issuer that predates sealTogether', async () => {
    const bus = fakeBus({ predates: 'sealTogether' });
    const batcher = bus.batcher({ pipeline: 1 });
    await expect(Promise.all([1, 2].map((n) => batcher.token(item(n))))).resolves.toEqual(['token-aud-1', 'token-aud-2']);
    expect(bus.calls[0]!.payload.compact).toBe(true);
    const reply = (await bus.request.mock.results[0]!.value) as { sealedHeader?: string; items: { sealed?: string }[] };
    expect(reply.sealedHeader).toMatch(/^eyJ/);
    expect(reply.items.every((it) => it.sealed?.split('.').length === 4)).toBe(true);
  });

  it('opens full answers from an issuer that predates compact', async () => {
    const bus = fakeBus({ predates: 'compact' });
    const batcher = bus.batcher({ pipeline: 1 });
    await expect(Promise.all([1, 2].map((n) => batcher.token(item(n))))).resolves.toEqual(['token-aud-1', 'token-aud-2']);
    const reply = (await bus.request.mock.results[0]!.value) as { sealedHeader?: string };
    expect(reply.sealedHeader).toBeUndefined();
  });

  it('fails a compact answer whose shared header is missing or altered, never opening it with another header', async () => {
    for (const sealedHeader of [undefined, 'eyJhbGciOiJub25lIn0']) {
      const bus = fakeBus({ predates: 'sealTogether' });
      const request = bus.request.getMockImplementation()!;
      bus.request.mockImplementation(async (...args) => ({ ...((await request(...args)) as object), sealedHeader }));
      const batcher = bus.batcher({ pipeline: 1 });
      await expect(batcher.token(item(1))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
  });

  it('checks each answer against the contract as it takes it: a malformed answer fails its token alone', async () => {
    const bus = fakeBus({ answer: (it) => (it.audience === 'aud-2' ? ({ ok: true, data: { sealedToken: 'not-a-jwe' } } as never) : undefined!) });
    const batcher = bus.batcher({ pipeline: 1 });
    const results = await Promise.allSettled([1, 2, 3].map((n) => batcher.token(item(n))));
    expect(results[0]).toEqual({ status: 'fulfilled', value: 'token-aud-1' });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { code: 'VALIDATION_FAILED', message: expect.stringContaining('reply item 1') } });
    expect(results[2]).toEqual({ status: 'fulfilled', value: 'token-aud-3' });
  });

  it('refuses a request the contract refuses before sending anything, and the others of its turn still go', async () => {
    const bus = fakeBus();
    const batcher = bus.batcher();
    const bad = batcher.token({ ...ITEM, runId: 'not-a-ulid' });
    const good = batcher.token(item(1));
    await expect(bad).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(good).resolves.toBe('token-aud-1');
    expect(bus.batchSizes()).toEqual([1]);
  });

  it('fails every token of a batch that got no answer in time with TIMEOUT, asking with its timeout', async () => {
    const bus = fakeBus({
      batch: () => {
        throw new RuntrailError('TIMEOUT', `${IssueTokenBatchRequest.subject} did not answer in time`);
      },
    });
    const batcher = bus.batcher({ timeoutMs: 1234, pipeline: 1 });
    const results = await Promise.allSettled([1, 2].map((n) => batcher.token(item(n))));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    for (const r of results) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'TIMEOUT' });
    expect(bus.calls.map((c) => c.timeoutMs)).toEqual([1234]);
    // The batcher is not stuck: the next token goes out.
    expect(bus.batchSizes()).toEqual([2]);
  });

  it('asks oidc.v1.issue per token while the issuer does not answer the batch subject (an older version)', async () => {
    let now = 0;
    let batchAnswered = false;
    const bus = fakeBus({
      batch: () => {
        if (!batchAnswered) throw new RuntrailError('NO_RESPONDERS', `no service answers ${IssueTokenBatchRequest.subject}`);
      },
    });
    const batcher = bus.batcher({ singleRetryMs: 1000, now: () => now, pipeline: 1 });
    await expect(Promise.all([batcher.token(item(1)), batcher.token(item(2))])).resolves.toEqual(['token-aud-1', 'token-aud-2']);
    await expect(batcher.token(item(3))).resolves.toBe('token-aud-3');
    expect(bus.calls.map((c) => c.subject)).toEqual([
      IssueTokenBatchRequest.subject,
      IssueTokenRequest.subject,
      IssueTokenRequest.subject,
      IssueTokenRequest.subject,
    ]);
    // Every single request carries the reply key the batch would have had.
    expect(bus.calls.slice(1).every((c) => c.payload.replyKey.x === bus.calls[0]!.payload.replyKey.x)).toBe(true);
    batchAnswered = true;
    now = 1000;
    await expect(batcher.token(item(4))).resolves.toBe('token-aud-4');
    expect(bus.calls.at(-1)!.subject).toBe(IssueTokenBatchRequest.subject);
  });
});
