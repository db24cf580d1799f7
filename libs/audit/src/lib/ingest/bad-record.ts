import { AuditDb } from '../storage/audit-db';

/** A record that could not be read or normalised, kept aside with why. */
export interface BadRecord {
  source: string;
  index: number;
  reason: string;
  /** The record's text (or part of it); secrets are masked before it is stored. */
  excerpt: string | null;
}

const MAX_EXCERPT = 8192;
// A record that failed normalisation was never stripped of its credentials: mask them here.
const SECRET_MEMBER = /("(?:sessionToken|secretAccessKey|password|privateKey|clientSecret)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi;

// A secret member whose value the cut left open.
const OPEN_SECRET_MEMBER = /("(?:sessionToken|secretAccessKey|password|privateKey|clientSecret)"\s*:\s*)"(?:[^"\\]|\\.)*\\?$/i;

/**
 * Masks secret members and caps the size of a bad record before it is stored. Cuts first (a
 * hostile record may be megabytes), then masks, including a secret value the cut left unterminated.
 */
export function redactExcerpt(text: string): string {
  // A copy, not a slice: V8 slices keep the whole (maybe megabytes) parent string alive.
  const head = text.length > MAX_EXCERPT ? Buffer.from(text.slice(0, MAX_EXCERPT), 'utf8').toString('utf8') : text;
  return head.replace(SECRET_MEMBER, '$1"***"').replace(OPEN_SECRET_MEMBER, '$1"***').slice(0, MAX_EXCERPT);
}

/**
 * The stored excerpt of a record that parsed but could not be normalised: made when the record is
 * refused, so a batch holds a few KiB per bad record, never the record itself.
 */
export function excerptOf(record: unknown): string {
  try {
    return redactExcerpt(JSON.stringify(record) ?? String(record));
  } catch {
    // Only a value nested deep enough to overflow the stack gets here (refused for its depth).
    return '(not shown: nested too deep to serialise)';
  }
}

/** Stores bad records (idempotent per source + index), so a re-import does not count them twice. */
export async function keepBadRecords(db: AuditDb, records: BadRecord[], now = Date.now()): Promise<void> {
  for (let i = 0; i < records.length; i += AuditDb.ROWS_PER_INSERT) {
    const part = records.slice(i, i + AuditDb.ROWS_PER_INSERT);
    await db.run(
      `insert into "bad_record" ("id", "source", "record_index", "reason", "excerpt", "recorded_at") values ${AuditDb.placeholders(part.length, 6)}
       on conflict ("id") do nothing`,
      part.flatMap((r) => [`${r.source.slice(0, 680)}#${r.index}`, r.source.slice(0, 512), r.index, r.reason.slice(0, 2048),
        r.excerpt === null ? null : redactExcerpt(r.excerpt), now]),
    );
  }
}
