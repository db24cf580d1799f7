import { Migration } from '@mikro-orm/migrations';

/** SQLite half of Migration20261202060000_runs: the runs API's table (API key roles gain `scheduler`). */
export class Migration20261202060000_runs extends Migration {
  override up(): void {
    this.addSql(
      `create table \`run\` (\`id\` text not null, \`account\` text not null, \`caller_id\` text not null, \`caller_type\` text not null, \`caller_slug\` text not null, \`space_id\` text not null, \`run_type\` text not null, \`worker_id\` text not null, \`worker_public_key\` json not null, \`phase\` text not null, \`terminal\` integer not null, \`phase_at\` datetime not null, \`deadline\` datetime not null, \`created_by\` text not null, \`created_at\` datetime not null, \`version\` integer not null, primary key (\`id\`));`,
    );
    this.addSql(`create index \`run_caller_index\` on \`run\` (\`caller_id\`);`);
    this.addSql(`create index \`run_open_deadline_index\` on \`run\` (\`terminal\`, \`deadline\`);`);
  }
}
