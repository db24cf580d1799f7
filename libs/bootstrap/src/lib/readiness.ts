/**
 * Something `/health/ready` must see healthy: NATS, each service's database. Any provider with
 * this shape is found by discovery, so libs need not depend on this one to take part.
 */
export interface ReadinessCheck {
  readonly readinessName: string;
  isReady(): Promise<boolean>;
  /** What is wrong while not ready, one line each, shown by `/health/ready` (never a secret). */
  problems?(): string[];
}

export function isReadinessCheck(value: unknown): value is ReadinessCheck {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<ReadinessCheck>;
  return typeof candidate.readinessName === 'string' && typeof candidate.isReady === 'function';
}
