import { z } from 'zod';
import { parseOrThrow, ulid } from '@runtrail/contracts';
import { ROLE_SESSION_NAME_MAX_LENGTH, ROLE_SESSION_NAME_PATTERN } from './sts-limits.constants';

/** What a runtrail role session name is made of. */
export interface RoleSessionNameParts {
  runId: string;
  callerSlug: string;
  account: string;
}

/** A role session name read back; `caller` and `account` are as they appear in the name. */
export interface ParsedRoleSessionName {
  runId: string;
  /**
   * The caller's slug, or its id in names made before the slug replaced it: informational either
   * way (the run id is what identifies the session).
   */
  caller: string;
  account: string;
  /** The name is at the 64-character limit, so `account` (or more) may have been cut short. */
  mayBeTruncated: boolean;
}

const runIdOnly = z.object({ runId: ulid });

// `@` is allowed by STS but is our separator, so it is replaced inside parts too.
const OUTSIDE_PART_ALPHABET = /[^\w+=,.-]/g;
const REPLACEMENT = '-';

const RUNTRAIL_SESSION = /^([0-9A-HJKMNP-TV-Z]{26})@([^@]*)(?:@([^@]*))?$/;

/**
 * `RoleSessionName` for a run: `<runId>@<callerSlug>@<account>` (seed 004's `$runID@$stackID@$accountName`,
 * with the stack's slug), characters STS refuses replaced by `-`, cut to 64 characters.
 *
 * The run id is validated (a ULID) and comes first, so the name always starts with the full
 * 26-character run id: truncation can only shorten the caller slug or account, and names of
 * different runs never collide. The caller slug and account are informational and sanitised rather
 * than refused.
 *
 * @throws RuntrailError `VALIDATION_FAILED` when `runId` is not a ULID.
 */
export function roleSessionName(parts: RoleSessionNameParts): string {
  parseOrThrow(runIdOnly, { runId: parts.runId }, 'role session name parts');
  const name = [parts.runId, sanitisePart(parts.callerSlug), sanitisePart(parts.account)].join('@');
  return name.slice(0, ROLE_SESSION_NAME_MAX_LENGTH);
}

/** The parts of a runtrail role session name, or `null` when `name` is not one. */
export function parseRoleSessionName(name: string): ParsedRoleSessionName | null {
  if (!ROLE_SESSION_NAME_PATTERN.test(name)) return null;
  const match = RUNTRAIL_SESSION.exec(name);
  if (!match) return null;
  const [, runId = '', caller = '', account = ''] = match;
  return { runId, caller, account, mayBeTruncated: name.length === ROLE_SESSION_NAME_MAX_LENGTH };
}

/** True when `name` has the shape of a session name runtrail produces. */
export function looksLikeRuntrailSession(name: string): boolean {
  return parseRoleSessionName(name) !== null;
}

/** The run id a runtrail role session name starts with, or `null` when `name` is not one. */
export function runIdOfSession(name: string): string | null {
  return parseRoleSessionName(name)?.runId ?? null;
}

function sanitisePart(part: string): string {
  return part.replace(OUTSIDE_PART_ALPHABET, REPLACEMENT);
}
