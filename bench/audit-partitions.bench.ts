// P3 with and without monthly partitions (issue 16), PostgreSQL, in one run.
//
//   node tools/build.mjs && node dist/bench/audit-partitions.bench.js [--events 300000] [--write] [--explain]
//
// The same generated trail (bench/audit-trail.generator.ts) is imported by the production path
// (ImportFiles) into two databases: one migrated up to the migration before partitions (plain
// tables, as before issue 16, given the run event span columns that come after), one fully migrated
// (partitioned by month). The generator's events fall within one day, so both then move each run's
// events back 0-7 months by the same rule (a hash of the run, or of the event for events of no run)
// to spread them over 8 monthly partitions, and refill the runs' event spans; one busy resource is
// named by 5,000 in-scope calls (every month). Then 500 timeline, 500 who-changed and 500 who-changed
// of the busy resource queries (limit 100, after 50 warm-up, during which both databases must give the
// same first and next pages) for random runs and resources, the query functions the REST
// controllers call, alternating between the two databases so load on this shared machine hits both
// alike. --write replaces the P3p section of RESULTS.md; --explain prints the plans of one query of
// each kind on each database first.
import { MikroORM } from '@mikro-orm/core';
import {
  AuditDb,
  auditPersistence,
  FILL_RUN_EVENT_SPANS,
  FindingStore,
  ImportFiles,
  IngestEvents,
  PartitionMonths,
  runEventSpanColumns,
  runTimeline,
  whoChanged,
} from '@runtrail/audit';
import { databaseOptionsFor } from '@runtrail/persistence';
import { createTestDatabase, startTestPostgres } from '@runtrail/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { registerIssuances, replaceSection } from './audit-bench.support';
import { BENCH_ROLE, generateTrail, type GeneratedTrail } from './audit-trail.generator';

const args = process.argv.slice(2);
const at = args.indexOf('--events');
const EVENTS = at >= 0 ? Number(args[at + 1]) : 300_000;
/** A resource changed this many times (the generator's resources are changed once or twice). */
const HOT = 5_000;
const HOT_RESOURCE = 'bench-hot-resource';
const ROOT = resolve(__dirname, '../..');
const BEFORE_PARTITIONS = 'Migration20261206090000_trail_source_s3_checkpoint';
const MONTH_MS = 30 * 86_400_000;

type Variant = 'plain' | 'partitioned';

async function load(variant: Variant, trail: GeneratedTrail): Promise<{ orm: MikroORM; db: AuditDb }> {
  const { url } = await createTestDatabase(`bench_partitions_${variant}`);
  const orm = await MikroORM.init(databaseOptionsFor({ ...auditPersistence, databaseUrl: url }));
  await orm.getMigrator().up(variant === 'plain' ? { to: BEFORE_PARTITIONS } : undefined);
  const db = AuditDb.of(orm);
  // The run event span columns come after the partitions: the plain database gets them by hand.
  if (variant === 'plain') for (const statement of runEventSpanColumns('postgres')) await db.run(statement);
  await registerIssuances(db, trail.runs.filter((r) => r.issued), BENCH_ROLE);
  const t0 = performance.now();
  await new ImportFiles(db, new IngestEvents(db, new FindingStore(db, null), { workerIpRanges: [] })).importPath(trail.dir);
  const importSeconds = (performance.now() - t0) / 1000;
  // Spread over 8 months, the same in both databases (rows move between partitions on update; the
  // months back are created first, as ingest would have for events of those months).
  const [{ t = 0 } = {}] = await db.all<{ t?: number }>(`select min("event_time")::float8 as "t" from "cloudtrail_event"`);
  await new PartitionMonths().ensure(db, Array.from({ length: 9 }, (_, k) => Number(t) - k * MONTH_MS));
  const back = (key: string) => `((abs(hashtext(${key})) % 8) * ${MONTH_MS}::bigint)`;
  await db.run(`update "cloudtrail_event" set "event_time" = "event_time" - ${back(`coalesce("run_id", "event_id")`)}`);
  await db.run(
    `update "event_resource" r set "event_time" = e."event_time" from "cloudtrail_event" e where e."event_id" = r."event_id"`,
  );
  await db.run(FILL_RUN_EVENT_SPANS); // the runs' event spans follow their calls' new times
  // One busy resource (a bucket every run updates): its calls, newest first, span every month.
  await db.run(`insert into "event_resource" ("resource", "event_time", "event_id")
    select ?, "event_time", "event_id" from "cloudtrail_event" where "account" is not null order by "event_id" limit ${HOT}`, [HOT_RESOURCE]);
  await db.run('analyze');
  console.log(`${variant}: imported ${trail.events} events in ${importSeconds.toFixed(1)} s`);
  return { orm, db };
}

/**
 * EXPLAIN (ANALYZE) of every select `work` makes on `db`, for --explain: as planned for its values
 * (what a call pays while PostgreSQL keeps custom plans), and the generic plan a prepared statement
 * settles on (planned once per connection, partitions pruned at run time).
 */
async function explained(db: AuditDb, work: () => Promise<unknown>): Promise<string> {
  const plans: string[] = [];
  const [all, prepared] = [db.all.bind(db), db.prepared.bind(db)];
  const explaining = (run: AuditDb['prepared']) => (async (sql: string, params: Parameters<AuditDb['all']>[1] = [], options = {}) => {
    if (sql.trimStart().startsWith('select')) {
      const [custom, generic] = await db.transaction(async (tx) => {
        // As AuditDb.prepared plans it: with sorts disabled for readIndexOrder.
        if ((options as { readIndexOrder?: boolean }).readIndexOrder) {
          await tx.run('set local enable_sort = off');
          await tx.run('set local enable_incremental_sort = off');
        }
        const customPlan = await tx.all<{ 'QUERY PLAN': string }>(`explain (analyze, buffers, summary) ${sql}`, params);
        let n = 0;
        await tx.run(`set local plan_cache_mode = force_generic_plan`);
        await tx.run(`prepare bench_explained as ${sql.replace(/\?/g, () => `$${++n}`)}`);
        const literals = params.map((p) => (typeof p === 'string' ? `'${p.replace(/'/g, "''")}'` : String(p)));
        const genericPlan = await tx.all<{ 'QUERY PLAN': string }>(`explain (analyze, buffers, summary) execute bench_explained(${literals.join(', ')})`);
        await tx.run('deallocate bench_explained');
        return [customPlan, genericPlan];
      });
      const text = (rows: Array<{ 'QUERY PLAN': string }>) => rows.map((r) => `  ${r['QUERY PLAN']}`).join('\n');
      plans.push(`${sql.replace(/\s+/g, ' ').slice(0, 160)}\n custom plan:\n${text(custom)}\n generic plan:\n${text(generic)}`);
    }
    return run(sql, params, options);
  }) as AuditDb['prepared'];
  db.all = explaining(all);
  db.prepared = explaining(prepared);
  try {
    await work();
  } finally {
    db.all = all;
    db.prepared = prepared;
  }
  return plans.join('\n');
}

/**
 * Checks (during warm-up) that both databases answer alike, first and next page (limit 20), as the
 * REST API would return them: the partitioned queries must change nothing but their speed.
 */
async function sameAnswers(plain: AuditDb, partitioned: AuditDb, runId: string, resource: string): Promise<void> {
  const scope = { account: 'acme', visibleSpaces: null };
  const read = async (db: AuditDb) => {
    const timeline = await runTimeline(db, runId, scope, undefined, 20);
    const changed = await whoChanged(db, resource, scope, undefined, 20);
    return JSON.stringify([
      timeline, changed,
      timeline.events.nextCursor ? (await runTimeline(db, runId, scope, timeline.events.nextCursor, 20)).events : null,
      changed.nextCursor ? await whoChanged(db, resource, scope, changed.nextCursor, 20) : null,
    ]);
  };
  const [a, b] = [await read(plain), await read(partitioned)];
  if (a !== b) throw new Error(`plain and partitioned databases answer differently for run ${runId} / resource ${resource}`);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

async function main(): Promise<void> {
  const pg = await startTestPostgres();
  if (!pg) throw new Error('this benchmark needs PostgreSQL (see libs/testing: startTestPostgres)');
  const work = mkdtempSync(join(tmpdir(), 'audit-partitions-bench-'));
  try {
    const trail = generateTrail(work, EVENTS);
    const stores = { plain: await load('plain', trail), partitioned: await load('partitioned', trail) };
    const [{ n: partitions } = { n: 0 }] = await stores.partitioned.db.all<{ n: number }>(
      `select count(*)::int as "n" from pg_inherits where inhparent = to_regclass('"cloudtrail_event"')`,
    );
    const scope = { account: 'acme', visibleSpaces: null };
    const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)] as T;
    const issued = trail.runs.filter((r) => r.issued);
    if (args.includes('--explain')) {
      const [runId, resource] = [pick(issued).runId, pick(trail.resources)];
      for (const variant of ['plain', 'partitioned'] as const) {
        const { db } = stores[variant];
        for (let i = 0; i < 20; i++) await Promise.all([runTimeline(db, runId, scope), whoChanged(db, resource, scope)]);
        console.log(`--- ${variant}: timeline of ${runId}\n${await explained(db, () => runTimeline(db, runId, scope))}`);
        console.log(`--- ${variant}: who changed ${resource}\n${await explained(db, () => whoChanged(db, resource, scope))}`);
        for (let i = 0; i < 10; i++) await whoChanged(db, HOT_RESOURCE, scope);
        console.log(`--- ${variant}: who changed ${HOT_RESOURCE}\n${await explained(db, () => whoChanged(db, HOT_RESOURCE, scope))}`);
      }
    }
    const timings: Record<Variant, Record<'timeline' | 'who-changed' | 'who-changed-hot', number[]>> = {
      plain: { timeline: [], 'who-changed': [], 'who-changed-hot': [] },
      partitioned: { timeline: [], 'who-changed': [], 'who-changed-hot': [] },
    };
    for (let i = 0; i < 550; i++) {
      const runId = pick(issued).runId;
      const resource = pick(trail.resources);
      if (i < 50) await sameAnswers(stores.plain.db, stores.partitioned.db, runId, resource);
      const order: Variant[] = i % 2 ? ['plain', 'partitioned'] : ['partitioned', 'plain'];
      for (const variant of order) {
        const { db } = stores[variant];
        let t = performance.now();
        await runTimeline(db, runId, scope, undefined, 100);
        if (i >= 50) timings[variant].timeline.push(performance.now() - t);
        t = performance.now();
        await whoChanged(db, resource, scope, undefined, 100);
        if (i >= 50) timings[variant]['who-changed'].push(performance.now() - t);
        t = performance.now();
        await whoChanged(db, HOT_RESOURCE, scope, undefined, 100);
        if (i >= 50) timings[variant]['who-changed-hot'].push(performance.now() - t);
      }
    }
    const cell = (xs: number[]) => `${percentile(xs, 50).toFixed(2)} / ${percentile(xs, 99).toFixed(2)}`;
    const section = [
      '## P3 with monthly partitions (issue 16): timeline and who-changed, PostgreSQL (bench/audit-partitions.bench.ts)',
      '',
      `- date: ${new Date().toISOString()}`,
      `- machine: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      `- command: \`node tools/build.mjs && node dist/bench/audit-partitions.bench.js --events ${EVENTS} --write\``,
      `- the same ${EVENTS} generated events imported by ImportFiles into a database with plain tables (migrated up to the one before partitions, plus the run event span columns) and one partitioned by month (${partitions} partitions of cloudtrail_event: 8 months of data, months ahead, default), spread over 8 months alike; PostgreSQL 15 as libs/testing starts it`,
      '- 500 queries of each kind per database after 50 warm-up (both databases giving the same first and next pages), limit 100, alternating between the databases; the same query code on both (timeline within the run\'s event span, who-changed joined on the event\'s time, named prepared statements)',
      '',
      `| tables | timeline p50 / p99 ms | who-changed p50 / p99 ms | who-changed, resource changed ${HOT} times, p50 / p99 ms |`,
      '| --- | ---: | ---: | ---: |',
      ...(['plain', 'partitioned'] as const).map((v) =>
        `| ${v === 'plain' ? 'plain' : 'partitioned by month'} | ${cell(timings[v].timeline)} | ${cell(timings[v]['who-changed'])} | ${cell(timings[v]['who-changed-hot'])} |`),
    ];
    console.log(`\n${section.join('\n')}`);
    if (args.includes('--write')) replaceSection(join(ROOT, 'bench/RESULTS.md'), 'P3p:audit-partitions', section);
    await Promise.all(Object.values(stores).map(async ({ orm, db }) => {
      await db.close();
      await orm.close(true);
    }));
  } finally {
    rmSync(work, { recursive: true, force: true });
    await pg.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
