const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** True for URLs the emulator may reach over plain http: loopback hosts only. */
export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
}

/**
 * Validates an OIDC issuer URL the way the emulator accepts it (https, or http to a loopback
 * host) and returns it without a trailing slash plus its scheme-less form, which names the
 * provider (`arn:aws:iam::<acct>:oidc-provider/<hostPath>`) and its condition keys.
 * Returns null for anything else.
 */
export function normaliseIssuerUrl(raw: string): { url: string; hostPath: string } | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackUrl(url))) return null;
  if (url.search || url.hash || url.username) return null;
  const path = url.pathname.replace(/\/+$/, '');
  const hostPath = `${url.host.toLowerCase()}${path}`;
  return { url: `${url.protocol}//${hostPath}`, hostPath };
}
