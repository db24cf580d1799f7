// Helpers of bench/audit-ingest.bench.ts: issuances the broker would have published, and the
// RESULTS.md section writer.
import type { AuditDb } from '@runtrail/audit';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { BenchRun } from './audit-trail.generator';

/** Stores runs and their issuances (what credentials.v1.issued gives audit), in one transaction. */
export async function registerIssuances(db: AuditDb, runs: BenchRun[], roleArn: string): Promise<void> {
  await db.transaction(async (tx) => {
    for (const run of runs) {
      await tx.run(
        `insert into "run" ("run_id", "account", "space_id", "caller_type", "caller_id", "caller_slug", "run_type", "worker_id") values (?, 'acme', 'root', 'stack', '01J0000000000000000000CALL', 'network', 'TRACKED', 'w1')`,
        [run.runId],
      );
      await tx.run(
        `insert into "issuance" ("id", "run_id", "account", "space_id", "caller_id", "integration_id", "role_arn", "phase", "scope", "mode", "access_key_id", "session_name", "source_identity", "issued_at", "expires_at")
         values (?, ?, 'acme', 'root', '01J0000000000000000000CALL', '01J0000000000000000000INTG', ?, 'APPLYING', 'write', 'platform', ?, ?, ?, ?, ?)`,
        [`${run.runId}:APPLYING:i:issued:0`, run.runId, roleArn, run.accessKeyId, run.sessionName, run.runId, run.issuedAt.getTime(), run.issuedAt.getTime() + 3600_000],
      );
    }
  });
}

/** Replaces (or appends) the `<!-- id:start -->...<!-- id:end -->` section of a Markdown file. */
export function replaceSection(file: string, id: string, lines: string[]): void {
  const start = `<!-- ${id}:start -->`;
  const end = `<!-- ${id}:end -->`;
  const body = [start, ...lines, end].join('\n');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  const next = from >= 0 && to > from ? `${text.slice(0, from)}${body}${text.slice(to + end.length)}` : `${text.trimEnd()}\n\n${body}\n`;
  writeFileSync(file, next);
}
