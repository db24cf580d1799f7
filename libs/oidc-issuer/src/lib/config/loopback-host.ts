/**
 * True for host names that only reach this machine: `localhost` (and `*.localhost`), 127.0.0.0/8 and
 * `[::1]`. Only these may serve the issuer over plain http (AWS accepts nothing but https; the
 * aws-emulator allows loopback http for local use).
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '[::1]' || host === '::1') return true;
  const octets = host.split('.');
  return octets.length === 4 && octets[0] === '127' && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
}
