import { Migration } from '@mikro-orm/migrations';

/**
 * PostgreSQL half of Migration20261205090000_run_deadline: runs have a maximum lifetime
 * (`runs.v1.phase`'s `deadline`). Runs recorded before have none (null), as their events had none.
 */
export class Migration20261205090000_run_deadline extends Migration {
  override up(): void {
    this.addSql(`alter table "run_state" add column "deadline" timestamptz null;`);
  }

  override down(): void {
    this.addSql(`alter table "run_state" drop column "deadline";`);
  }
}
