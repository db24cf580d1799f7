import type { KeySchedule } from '../config/oidc-issuer.config';
import type { KeyStatus } from './signing-key.entity';
import type { SigningAlg } from './signing-alg';

/** What the planner needs to know of a stored key (no key material). */
export interface KeyState {
  kid: string;
  alg: SigningAlg;
  status: KeyStatus;
  createdAt: Date;
  activatedAt?: Date | null;
  unpublishAt?: Date | null;
}

/** One state transition. Each is applied with a compare-and-set, so a replica that lost a race does nothing. */
export type RotationStep =
  /** A retired key's tokens have all expired: remove it from the JWKS (and the database). */
  | { kind: 'unpublish'; kid: string }
  /** A `next` key of an algorithm no longer configured: it never signed, so it can go at once. */
  | { kind: 'discard-next'; kid: string }
  /** Generate a key: `active` only when nothing signs yet (first start), else `next`. */
  | { kind: 'create'; status: 'active' | 'next'; alg: SigningAlg }
  /** `kid` goes from `next` to `active`; the old active key (if any) retires until `unpublishAt`. */
  | { kind: 'activate'; kid: string; retire: string | null; unpublishAt: Date }
  /** Rotation is due but a new key would exceed `maxPublishedKeys`; the active key keeps signing. */
  | { kind: 'deferred'; reason: string };

const SECOND = 1000;

/**
 * The key schedule as a pure function: given the stored keys and the time, the transitions due now.
 *
 * - A retired key is unpublished once `unpublishAt` passed (retirement + the longest token lifetime
 *   + the stale-replica and clock-skew margins).
 * - `publishLeadSeconds` before the active key has signed for `rotationIntervalSeconds`, a `next` key
 *   is created; it is published from that moment.
 * - The `next` key becomes `active` when the interval is over and it has been published for at least
 *   `publishLeadSeconds`, so relying parties that cached the JWKS have seen it before any token uses it.
 * - A change of `alg` makes rotation due at once (a `next` key of the old alg is discarded).
 * - With no key at all (first start) a key is created `active` directly: no token exists that a
 *   relying party could fail to verify.
 * - A new key is never created when `maxPublishedKeys` are published; rotation waits for the oldest
 *   retired key to leave instead (step `deferred`).
 */
export function planRotation(keys: readonly KeyState[], now: Date, schedule: KeySchedule): RotationStep[] {
  const steps: RotationStep[] = [];
  const at = now.getTime();
  const live = keys.filter((key) => {
    const expired = key.status === 'retired' && (key.unpublishAt?.getTime() ?? 0) <= at;
    if (expired) steps.push({ kind: 'unpublish', kid: key.kid });
    return !expired;
  });
  const stale = live.find((k) => k.status === 'next' && k.alg !== schedule.alg);
  if (stale) steps.push({ kind: 'discard-next', kid: stale.kid });
  const kept = live.filter((k) => k !== stale);
  const active = kept.find((k) => k.status === 'active');
  const next = kept.find((k) => k.status === 'next');
  const unpublishAt = new Date(at + schedule.retentionSeconds * SECOND);

  if (!active) {
    if (next) steps.push({ kind: 'activate', kid: next.kid, retire: null, unpublishAt });
    else steps.push({ kind: 'create', status: 'active', alg: schedule.alg });
    return steps;
  }

  const signingSince = (active.activatedAt ?? active.createdAt).getTime();
  const rotateAt = active.alg === schedule.alg ? signingSince + schedule.rotationIntervalSeconds * SECOND : at;
  const lead = schedule.publishLeadSeconds * SECOND;
  if (next) {
    if (at >= rotateAt && at >= next.createdAt.getTime() + lead) {
      steps.push({ kind: 'activate', kid: next.kid, retire: active.kid, unpublishAt });
    }
  } else if (at >= rotateAt - lead) {
    if (kept.length < schedule.maxPublishedKeys) steps.push({ kind: 'create', status: 'next', alg: schedule.alg });
    else steps.push({ kind: 'deferred', reason: deferralReason(kept, schedule.maxPublishedKeys) });
  }
  return steps;
}

function deferralReason(live: readonly KeyState[], max: number): string {
  const leaving = live
    .flatMap((k) => (k.status === 'retired' && k.unpublishAt ? [k.unpublishAt.getTime()] : []))
    .sort((a, b) => a - b)[0];
  const when = leaving === undefined ? 'no retired key is due to leave' : `the oldest retired key leaves at ${new Date(leaving).toISOString()}`;
  return `key rotation is due but ${live.length} of at most ${max} keys (OIDC_MAX_PUBLISHED_KEYS) are published; ${when}`;
}
