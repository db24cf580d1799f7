import type { FindingRaised } from '@runtrail/contracts';
import { rowToFinding } from '../findings/finding.store';
import type { AuditDb, SqlParam } from '../storage/audit-db';
import type { AuditScope } from './audit-scope';
import { after, decodeCursor, toPage, type Page } from './cursor';

export interface FindingFilter {
  kind?: FindingRaised['kind'];
  runId?: string;
  from?: Date;
  to?: Date;
}

/**
 * An account's findings, newest first. A key limited to some spaces sees the findings of runs in
 * them; findings without a run (an AssumeRole nobody issued) only account-wide keys see.
 */
export async function listFindings(db: AuditDb, filter: FindingFilter, scope: AuditScope, cursorText?: string, limit = 100): Promise<Page<FindingRaised>> {
  const where: string[] = ['"account" = ?'];
  const params: SqlParam[] = [scope.account];
  if (scope.visibleSpaces !== null) {
    where.push(`"run_id" in (select "run_id" from "run" where "account" = ? and "space_id" in (${scope.visibleSpaces.map(() => '?').join(', ') || 'null'}))`);
    params.push(scope.account, ...scope.visibleSpaces);
  }
  if (filter.kind) {
    where.push('"kind" = ?');
    params.push(filter.kind);
  }
  if (filter.runId) {
    where.push('"run_id" = ?');
    params.push(filter.runId);
  }
  if (filter.from) {
    where.push('"detected_at" >= ?');
    params.push(filter.from.getTime());
  }
  if (filter.to) {
    where.push('"detected_at" < ?');
    params.push(filter.to.getTime());
  }
  const page = after(decodeCursor(cursorText), 'detected_at', 'id', true);
  where.push(page.sql);
  params.push(...page.params, limit + 1);
  const rows = await db.all(`select * from "finding" where ${where.join(' and ')} order by "detected_at" desc, "id" desc limit ?`, params);
  return toPage(rows.map(rowToFinding), limit, (f) => ({ t: Date.parse(f.detectedAt), id: f.id }));
}
