import { z } from 'zod';
import { faultRuleSchema } from './faults/fault-rule.schema';
import type { Seed } from './seed/seed.schema';

/** Options of `startAwsEmulator`. */
export const emulatorOptionsSchema = z.object({
  /** TCP port; 0 picks a free one. */
  port: z.number().int().min(0).max(65535).default(0),
  host: z.string().min(1).default('127.0.0.1'),
  /** A seed object, or the path of a seed JSON file. */
  seed: z.union([
    z.string().min(1),
    z.custom<Seed>((v) => typeof v === 'object' && v !== null, 'must be a seed object or a file path'),
  ]),
  /** The emulator's notion of now: event times, token and signature expiry. */
  clock: z
    .custom<() => Date>((v) => typeof v === 'function', 'must be a function returning a Date')
    .optional(),
  /** Folder for S3-style CloudTrail log files; none written when absent. */
  trailDir: z.string().min(1).optional(),
  /** Milliseconds between log-file flushes (files are also flushed on stop). */
  flushIntervalMs: z.number().int().min(10).default(5_000),
  /** LookupEvents at most 2 requests per second per (account, region), as AWS enforces. */
  lookupThrottle: z.boolean().default(false),
  /** Events show in LookupEvents only this many wall-clock ms after the call. */
  deliveryDelayMs: z.number().int().min(0).default(0),
  faults: z.array(faultRuleSchema).default([]),
  /** State file: loaded at start when present (instead of the seed), written on stop. */
  snapshotFile: z.string().min(1).optional(),
  /** Oldest events are dropped past this many per account. */
  maxEventsPerAccount: z.number().int().min(100).default(200_000),
  /** Region of unsigned calls whose Host does not name one. */
  defaultRegion: z.string().min(1).default('us-east-1'),
  /** How long a fetched OIDC key set is trusted. */
  jwksCacheTtlMs: z.number().int().min(0).default(60_000),
  /** Receives a line for each unexpected failure; never a secret. Default: dropped. */
  log: z.custom<(line: string) => void>((v) => typeof v === 'function', 'must be a function').optional(),
});

export type AwsEmulatorOptions = z.input<typeof emulatorOptionsSchema>;
export type ValidEmulatorOptions = z.output<typeof emulatorOptionsSchema>;
