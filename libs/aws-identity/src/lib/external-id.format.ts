import { z } from 'zod';
import { accountSlug, callerSlug, parseOrThrow, scope, ulid, type Scope } from '@runtrail/contracts';

/** What a runtrail external ID is made of. */
export interface ExternalIdParts {
  account: string;
  integrationId: string;
  callerSlug: string;
  scope: Scope;
}

const externalIdParts = z.object({ account: accountSlug, integrationId: ulid, callerSlug, scope });

const SEPARATOR = '@';

/**
 * The external ID runtrail passes to `AssumeRole`: `<account>@<integrationId>@<callerSlug>@<read|write>`.
 *
 * Inputs are validated, not repaired: the value is pasted into customers' trust policies, so a
 * silently rewritten slug could make two callers share an external ID. None of the parts can
 * contain `@`, which keeps the format unambiguous for {@link parseExternalId}; every valid input
 * yields at most 138 characters of `[\w+=,.@:/-]`, well within STS's 2..1224.
 *
 * @throws RuntrailError `VALIDATION_FAILED` naming each bad field.
 */
export function externalId(parts: ExternalIdParts): string {
  const p = parseOrThrow(externalIdParts, parts, 'external ID parts');
  return [p.account, p.integrationId, p.callerSlug, p.scope].join(SEPARATOR);
}

/**
 * The parts of a runtrail external ID, or `null` when `value` is not one (audit uses this to tell
 * runtrail's AssumeRole calls from anyone else's).
 */
export function parseExternalId(value: string): ExternalIdParts | null {
  const fields = value.split(SEPARATOR);
  if (fields.length !== 4) return null;
  const [account, integrationId, caller, s] = fields;
  const result = externalIdParts.safeParse({ account, integrationId, callerSlug: caller, scope: s });
  return result.success ? result.data : null;
}

/**
 * An account slug runtrail never gives a tenant (account creation refuses it). The verifier assumes
 * with an external id of this account to prove a trust policy does not accept other tenants' ids:
 * a condition of `*` or `*@<integrationId>@…` accepts it, `<account>@…` does not.
 */
export const FOREIGN_ACCOUNT_SLUG = 'runtrail-foreign-tenant';

/** Slugs no runtrail account may take. */
export const RESERVED_ACCOUNT_SLUGS: readonly string[] = [FOREIGN_ACCOUNT_SLUG, 'runtrail'];

/** The external id another tenant would present for the same integration, caller and scope. */
export function foreignExternalId(parts: Omit<ExternalIdParts, 'account'>): string {
  return externalId({ ...parts, account: FOREIGN_ACCOUNT_SLUG });
}
