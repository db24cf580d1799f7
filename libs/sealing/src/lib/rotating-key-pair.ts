import { generateSealingKeyPair, type SealingKeyPair } from './sealing-key-pair.generator';

/** Options of a {@link RotatingSealingKeyPair}. */
export interface RotatingSealingKeyPairOptions {
  /** How long one key pair is handed out, in milliseconds. */
  ttlMs: number;
  /** Milliseconds since the epoch (a seam for tests; default Date.now). */
  now?: () => number;
}

/**
 * A reply key for many requests in a row (the broker's `oidc.v1.issue` calls): one key pair for
 * `ttlMs`, then a new one. A sender with a `SealingSession` then seals every reply of the window
 * with one key agreement, which `open` remembers, so a reply costs AES only on both sides. A caller
 * keeps the pair it asked with until its reply is open; rotation only changes the next requests.
 * The private key stays non-extractable and in this process.
 */
export class RotatingSealingKeyPair {
  private current?: { pair: Promise<SealingKeyPair>; until: number };
  private readonly now: () => number;

  constructor(private readonly options: RotatingSealingKeyPairOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The key pair of the current window, generated on the first call after the last one expired. */
  get(): Promise<SealingKeyPair> {
    const now = this.now();
    if (this.current && this.current.until > now) return this.current.pair;
    const pair = generateSealingKeyPair();
    const entry = { pair, until: now + this.options.ttlMs };
    this.current = entry;
    // A failed generation is not kept: the next call tries again.
    pair.catch(() => this.current === entry && (this.current = undefined));
    return pair;
  }
}
