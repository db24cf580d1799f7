import { num, type AuditDb } from '../storage/audit-db';

/** The end of the last window of a (account, region) that was read completely, or null. */
export async function loadCheckpoint(db: AuditDb, accountId: string, region: string): Promise<number | null> {
  const [row] = await db.all(`select "checkpoint_ms" from "poll_checkpoint" where "aws_account_id" = ? and "region" = ?`, [accountId, region]);
  return row ? num(row['checkpoint_ms']) : null;
}

/** Moves the checkpoint forward only (a slow former holder can never move it back). */
export async function saveCheckpoint(db: AuditDb, accountId: string, region: string, checkpointMs: number, now = Date.now()): Promise<void> {
  await db.run(
    `insert into "poll_checkpoint" ("aws_account_id", "region", "checkpoint_ms", "updated_at") values (?, ?, ?, ?)
     on conflict ("aws_account_id", "region") do update set "checkpoint_ms" = excluded."checkpoint_ms", "updated_at" = excluded."updated_at"
     where "poll_checkpoint"."checkpoint_ms" < excluded."checkpoint_ms"`,
    [accountId, region, checkpointMs, now],
  );
}
