import { CompactEncrypt, importJWK, type CryptoKey } from 'jose';
import { z } from 'zod';
import { deliveryPlaintextSchema, RuntrailError } from '@runtrail/contracts';
import { open } from './open.decryptor';
import { seal } from './seal.encryptor';
import { generateSealingKeyPair, type SealingKeyPair } from './sealing-key-pair.generator';

async function rejection(promise: Promise<unknown>): Promise<RuntrailError> {
  const error: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  if (error instanceof RuntrailError) return error;
  throw error;
}

/** Everything an error exposes to a log line or a NATS error reply. */
function exposed(error: RuntrailError): string {
  const cause = error.cause instanceof Error ? error.cause.message : String(error.cause);
  return JSON.stringify({ message: error.message, body: error.toJSON(), cause, stack: error.stack });
}

/** `jwe` with one character of part `index` changed, away from the end so real bits change. */
function tamper(jwe: string, index: number): string {
  const parts = jwe.split('.');
  const part = parts[index]!;
  parts[index] = `${part[0] === 'A' ? 'B' : 'A'}${part.slice(1)}`;
  return parts.join('.');
}

async function sealRaw(
  plaintext: string,
  receiver: SealingKeyPair,
  header = { alg: 'ECDH-ES+A256KW', enc: 'A256GCM' },
): Promise<string> {
  const key = await importJWK(receiver.publicJwk, header.alg);
  return new CompactEncrypt(new TextEncoder().encode(plaintext)).setProtectedHeader(header).encrypt(key);
}

const credentials = {
  mode: 'platform',
  accessKeyId: 'ASIAEXAMPLEEXAMPLE01',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: 'FwoGZXIvYXdzEXAMPLE-session-token',
  expiration: '2026-11-22T11:00:00.000Z',
  assumedRoleArn: 'arn:aws:sts::123456789012:assumed-role/deployer/01DSJ63P40BAZY4VW8BXXG7M4K@x@acme',
  region: 'eu-west-1',
};

let receiver: SealingKeyPair;
let stranger: SealingKeyPair;
beforeAll(async () => {
  [receiver, stranger] = await Promise.all([generateSealingKeyPair(), generateSealingKeyPair()]);
});

describe('open', () => {
  it('opens and validates against a schema, typed by it', async () => {
    const opened = await open(
      await seal(credentials, receiver.publicJwk),
      receiver.privateKey,
      deliveryPlaintextSchema,
    );
    expect(opened.mode === 'platform' && opened.secretAccessKey).toBe(credentials.secretAccessKey);
  });

  it("refuses another receiver's key with ACCESS_DENIED", async () => {
    const error = await rejection(open(await seal(credentials, receiver.publicJwk), stranger.privateKey));
    expect(error.code).toBe('ACCESS_DENIED');
  });

  it.each([
    ['encrypted key', 1],
    ['initialisation vector', 2],
    ['ciphertext', 3],
    ['authentication tag', 4],
  ])('detects a changed %s', async (_label, index) => {
    const jwe = tamper(await seal(credentials, receiver.publicJwk), index);
    const error = await rejection(open(jwe, receiver.privateKey));
    expect(error.code).toBe('ACCESS_DENIED');
    expect(exposed(error)).not.toContain(credentials.secretAccessKey);
  });

  it('detects a changed protected header', async () => {
    const jwe = await seal(credentials, receiver.publicJwk);
    const [header, ...rest] = jwe.split('.');
    const changed = JSON.parse(Buffer.from(header!, 'base64url').toString()) as Record<string, unknown>;
    changed['kid'] = 'someone-else';
    const error = await rejection(
      open(
        [Buffer.from(JSON.stringify(changed)).toString('base64url'), ...rest].join('.'),
        receiver.privateKey,
      ),
    );
    expect(error.code).toBe('ACCESS_DENIED');
  });

  it.each(['', 'not a jwe', 'a.b.c', 'eyJhbGciOiJub25lIn0.e30.'])(
    'refuses the malformed %p with VALIDATION_FAILED',
    async (jwe) => {
      const error = await rejection(open(jwe, receiver.privateKey));
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.issues?.[0]?.path).toBe('jwe');
    },
  );

  it('refuses five parts that are not a JWE', async () => {
    const error = await rejection(open('a.b.c.d.e', receiver.privateKey));
    expect(error.code).toBe('VALIDATION_FAILED');
  });

  it.each([
    ['direct ECDH-ES key agreement', { alg: 'ECDH-ES', enc: 'A256GCM' }],
    ['CBC content encryption', { alg: 'ECDH-ES+A256KW', enc: 'A128CBC-HS256' }],
  ])('refuses %s, which runtrail never seals with', async (_label, header) => {
    const error = await rejection(open(await sealRaw('{"a":1}', receiver, header), receiver.privateKey));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain('ECDH-ES+A256KW / A256GCM');
  });

  it('refuses a public key in place of the private one', async () => {
    const publicKey = await importJWK(receiver.publicJwk, 'ECDH-ES+A256KW');
    const error = await rejection(open(await seal(1, receiver.publicJwk), publicKey as CryptoKey));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues?.[0]?.path).toBe('privateKey');
  });

  it('refuses content that is not JSON without quoting it', async () => {
    const error = await rejection(open(await sealRaw('AKIA-not-json-secret', receiver), receiver.privateKey));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain('not UTF-8 JSON');
    expect(exposed(error)).not.toContain('not-json-secret');
  });

  it('names what does not match the schema, without quoting the content', async () => {
    const { sessionToken: _omitted, ...incomplete } = credentials;
    const sealed = await seal({ ...incomplete, region: 42 }, receiver.publicJwk);
    const error = await rejection(open(sealed, receiver.privateKey, deliveryPlaintextSchema));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues?.map((i) => i.path).sort()).toEqual(['region', 'sessionToken']);
    expect(exposed(error)).not.toContain(credentials.secretAccessKey);
  });

  it('hides the message of a custom check, which could quote the content', async () => {
    const schema = z.object({
      token: z
        .string()
        .refine((t) => t.startsWith('ok'), { error: (issue) => `bad token ${String(issue.input)}` }),
    });
    const error = await rejection(
      open(await seal({ token: 'leaky-token-value' }, receiver.publicJwk), receiver.privateKey, schema),
    );
    expect(error.issues).toEqual([{ path: 'token', rule: 'failed a custom check' }]);
    expect(exposed(error)).not.toContain('leaky-token-value');
  });
});
