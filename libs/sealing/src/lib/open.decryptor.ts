import type { KeyObject } from 'node:crypto';
import { compactDecrypt, errors, type CryptoKey } from 'jose';
import type { z } from 'zod';
import { compactJwe, RuntrailError, type FieldIssue } from '@runtrail/contracts';
import { openNative } from './ecdh-es.jwe';
import { SEALING_ALG, SEALING_ENC } from './sealing.constants';

/** The private half of a sealing key pair, as WebCrypto or Node's crypto holds it. */
export type SealingPrivateKey = CryptoKey | KeyObject;

const ONLY_RUNTRAIL_ALGORITHMS = {
  keyManagementAlgorithms: [SEALING_ALG],
  contentEncryptionAlgorithms: [SEALING_ENC],
};
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Opens a value sealed by `seal` and, given a schema, validates it.
 *
 * Only `ECDH-ES+A256KW` / `A256GCM` is accepted, so a JWE cannot pick a weaker algorithm for us.
 * No error message or cause contains the plaintext.
 *
 * @throws RuntrailError `ACCESS_DENIED` when the JWE was sealed to another key or altered;
 *   `VALIDATION_FAILED` when it is malformed, uses another algorithm, `privateKey` is not a private
 *   EC key, the content is not JSON, or it does not match `schema`.
 */
export async function open(jwe: string, privateKey: SealingPrivateKey): Promise<unknown>;
export async function open<T>(jwe: string, privateKey: SealingPrivateKey, schema: z.ZodType<T>): Promise<T>;
export async function open<T>(
  jwe: string,
  privateKey: SealingPrivateKey,
  schema?: z.ZodType<T>,
): Promise<T | unknown> {
  if (!compactJwe.safeParse(jwe).success)
    throw invalid('jwe', 'must be a compact JWE (five base64url parts)');
  const plaintext = await decrypt(jwe, privateKey);
  const value = decodeJson(plaintext);
  if (!schema) return value;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map(describeIssue);
  throw new RuntrailError(
    'VALIDATION_FAILED',
    `sealed content does not match its schema: ${issues.map((i) => `${i.path}: ${i.rule}`).join('; ')}`,
    issues,
  );
}

async function decrypt(jwe: string, privateKey: SealingPrivateKey): Promise<Uint8Array> {
  // Node's native crypto opens what runtrail seals; jose decides everything else and names errors.
  const opened = openNative(jwe, privateKey);
  if (opened) return opened;
  try {
    return (await compactDecrypt(jwe, privateKey, ONLY_RUNTRAIL_ALGORITHMS)).plaintext;
  } catch (error) {
    throw decryptError(error);
  }
}

function decryptError(error: unknown): RuntrailError {
  const cause = { cause: error };
  if (error instanceof errors.JWEDecryptionFailed) {
    return new RuntrailError(
      'ACCESS_DENIED',
      'the sealed value cannot be opened with this key: it was sealed to another key or altered',
      undefined,
      cause,
    );
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return invalid('jwe', `must be sealed with ${SEALING_ALG} / ${SEALING_ENC} (${error.message})`, error);
  }
  if (error instanceof errors.JWEInvalid || error instanceof errors.JOSENotSupported) {
    return invalid('jwe', `cannot be opened: ${error.message}`, error);
  }
  if (error instanceof TypeError)
    return invalid('privateKey', 'must be the private EC P-256 key of the sealing key pair', error);
  return new RuntrailError('INTERNAL', 'opening the sealed value failed unexpectedly', undefined, cause);
}

function decodeJson(plaintext: Uint8Array): unknown {
  try {
    return JSON.parse(utf8.decode(plaintext));
  } catch {
    // No cause: a JSON.parse error quotes the text it choked on, and that text is the secret.
    throw invalid('jwe', 'sealed content is not UTF-8 JSON');
  }
}

/**
 * Zod's own messages state the expectation, never the input; a custom check's message is the
 * schema author's free text and might quote the value, so it is replaced.
 */
function describeIssue(issue: z.core.$ZodIssue): FieldIssue {
  const path = issue.path.length ? issue.path.map(String).join('.') : '(root)';
  return { path, rule: issue.code === 'custom' ? 'failed a custom check' : issue.message };
}

function invalid(path: string, rule: string, cause?: unknown): RuntrailError {
  return new RuntrailError(
    'VALIDATION_FAILED',
    `invalid ${path}: ${rule}`,
    [{ path, rule }],
    cause === undefined ? undefined : { cause },
  );
}
