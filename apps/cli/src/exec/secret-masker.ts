/** What replaces a secret in the command's output. */
export const MASK = '***';

/**
 * Masks secrets in one output stream of the command (stdout or stderr), chunk by chunk.
 *
 * A secret may arrive split across two chunks, so the masker holds back the longest tail of the
 * text that is the beginning of some secret, and emits it only once the next chunk shows it is not
 * (or masks it when it is). Nothing else is delayed, so interactive output stays interactive.
 * Bytes are handled as latin1 so that a multi-byte character split between chunks passes through
 * unchanged (secrets are ASCII).
 */
export class SecretMasker {
  private pending = '';

  /** @param secrets the live set of secret values; refreshed credentials are added to it. */
  constructor(private readonly secrets: ReadonlySet<string>) {}

  /** Masked bytes that are safe to write now. */
  push(chunk: Buffer): Buffer {
    const text = this.mask(this.pending + chunk.toString('latin1'));
    const hold = this.heldTail(text);
    this.pending = text.slice(text.length - hold);
    return Buffer.from(text.slice(0, text.length - hold), 'latin1');
  }

  /** Whatever was held back, at the end of the stream. */
  flush(): Buffer {
    const rest = this.mask(this.pending);
    this.pending = '';
    return Buffer.from(rest, 'latin1');
  }

  private mask(text: string): string {
    let out = text;
    // Longest first, so a secret containing another is masked whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) {
      if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join(MASK);
    }
    return out;
  }

  /** Length of the longest suffix of `text` that is a proper prefix of a secret. */
  private heldTail(text: string): number {
    let longest = 0;
    for (const secret of this.secrets) {
      const max = Math.min(secret.length - 1, text.length);
      for (let n = max; n > longest; n--) {
        if (text.endsWith(secret.slice(0, n))) {
          longest = n;
          break;
        }
      }
    }
    return longest;
  }
}
