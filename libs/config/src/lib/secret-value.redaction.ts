/**
 * Variable names whose values are never shown. Deliberately broad: a false positive only hides a
 * value from an error message, a false negative leaks a secret into logs.
 */
const SECRET_NAME = /KEY|SECRET|TOKEN|PASSWORD|PASSWD|KEK|CREDENTIAL|PRIVATE/i;

/** Longest value excerpt shown in an error. */
const MAX_SHOWN = 80;

/** True when a variable's name says its value is a secret. */
export function looksSecret(name: string): boolean {
  return SECRET_NAME.test(name);
}

/**
 * How an error may show a variable's value: `null` for a secret-looking name, otherwise the value
 * quoted, cut short, and with any URL credentials masked (`DATABASE_URL`, `NATS_URL` may carry one).
 */
export function showValue(name: string, value: string): string | null {
  if (looksSecret(name)) return null;
  // Everything between `://` and the last `@` may be user, password or a NATS token.
  const masked = value.replace(/:\/\/.*@/s, '://***@');
  const cut = masked.length > MAX_SHOWN ? `${masked.slice(0, MAX_SHOWN)}...` : masked;
  return JSON.stringify(cut);
}

/**
 * A rule for a secret variable that happens to quote the value (a custom refinement might) is
 * replaced, so the message cannot leak what the check was meant to protect.
 */
export function safeRule(name: string, value: string | undefined, rule: string): string {
  if (value === undefined || value === '' || !looksSecret(name) || !rule.includes(value)) return rule;
  return 'is invalid (the rule is hidden because it quotes the secret value)';
}
