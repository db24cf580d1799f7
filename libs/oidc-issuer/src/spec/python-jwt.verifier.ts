import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** What PyJWT said about a token. */
export type PyJwtVerdict =
  | { ok: true; alg: string; claims: Record<string, unknown> }
  | { ok: false; error: string; message: string };

/** Debian's python3 (with python3-jwt), not whatever pyenv puts first on PATH. */
const PYTHON = '/usr/bin/python3';
const SCRIPT = join(__dirname, 'verify_token.py');

/**
 * Verifies `token` with PyJWT: `PyJWKClient` on the served JWKS, then signature, `iss`, `aud`, `exp`,
 * `nbf`, `iat` and required claims. A third party's view of runtrail's tokens.
 */
export function verifyWithPyJwt(token: string, expected: { jwksUrl: string; issuer: string; audience: string }): Promise<PyJwtVerdict> {
  const args = JSON.stringify({ jwks_url: expected.jwksUrl, issuer: expected.issuer, audience: expected.audience });
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SCRIPT, args], { env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`verify_token.py exited with ${code}: ${err}`));
      resolve(JSON.parse(out) as PyJwtVerdict);
    });
    child.stdin.end(token);
  });
}
