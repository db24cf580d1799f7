/** Redelivery delay for the n-th failed delivery (1-based): exponential with full jitter, capped. */
export function redeliveryDelayMs(delivery: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, delivery - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
