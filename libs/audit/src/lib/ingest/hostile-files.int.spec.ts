import { describeEachDatabase } from '@runtrail/testing';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { AuditStoreHarness } from '../../spec/audit-store.harness';
import { callRecord } from '../../spec/trail-records.fixture';

/** The hostile CloudTrail files of issue 14: each refused part is a bad record, the rest is kept. */
describeEachDatabase('hostile CloudTrail files', (db) => {
  let audit: AuditStoreHarness;
  beforeAll(async () => {
    audit = await AuditStoreHarness.open(db.databaseUrl);
  });
  afterAll(() => audit?.close());
  beforeEach(async () => {
    await audit.store.db.run(`delete from "bad_record"`);
  });

  const good = (id: string, second: number) => JSON.stringify(callRecord(id, `2026-11-02T10:00:${String(second).padStart(2, '0')}Z`, 'ASIAH', '10.0.0.1'));

  async function badRows(): Promise<Array<{ index: number; reason: string; excerpt: string | null }>> {
    const rows = await audit.store.db.all(`select "record_index", "reason", "excerpt" from "bad_record" order by "record_index"`);
    return rows.map((r) => ({ index: Number(r['record_index']), reason: String(r['reason']), excerpt: r['excerpt'] === null ? null : String(r['excerpt']) }));
  }

  it('a valid event with 100,000-deep requestParameters is one bad record; the good records around it are kept', async () => {
    const depth = 100_000;
    const deep = JSON.stringify({ ...callRecord('deep', '2026-11-02T10:00:01Z', 'ASIAH', '10.0.0.1'), requestParameters: {} }).replace(
      '"requestParameters":{}',
      `"requestParameters":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
    );
    const deepArray = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const body = `{"Records":[${good('h1', 0)},${deep},${deepArray},${good('h2', 2)}]}`;
    const done = await audit.importer.importStream(Readable.from([Buffer.from(body)]), 'deep.json');
    expect(done).toMatchObject({ events: 4, inserted: 2, bad: 2 });
    expect(await badRows()).toEqual([
      { index: 1, reason: 'record 1 refused: record nests deeper than 64 levels', excerpt: null },
      { index: 2, reason: 'record 2 refused: record nests deeper than 64 levels', excerpt: null },
    ]);
    expect(await audit.count(`select count(*) from "cloudtrail_event" where "event_id" in ('h1', 'h2')`)).toBe(2);
  });

  it('a gzip bomb whose top-level member name inflates to 64 MiB is skipped, and its records are read', async () => {
    const name = 64 * 1024 * 1024;
    async function* bomb(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"');
      const block = Buffer.alloc(1024 * 1024, 'k');
      for (let i = 0; i < name / block.length; i++) yield block;
      yield Buffer.from(`":1,"Records":[${good('b1', 3)}]}`);
    }
    const gz = Readable.from(bomb()).pipe(createGzip());
    const done = await audit.importer.importStream(gz, 'bomb.json.gz');
    expect(done).toMatchObject({ events: 1, inserted: 1, bad: 1 });
    expect(await badRows()).toEqual([
      { index: -2, reason: `a top-level member name is longer than 1024 bytes (${name}); member skipped`, excerpt: null },
    ]);
  });

  it('records of 900 KB that cannot be normalised are kept as capped, masked excerpts; the next good record is kept', async () => {
    // bench/audit-hostile-import.bench.ts measures 1,000 of them; 120 here cross the write threshold.
    const count = 120;
    const dir = mkdtempSync(join(tmpdir(), 'audit-hostile-'));
    const pad = 'x'.repeat(900 * 1024);
    const big = Buffer.from(JSON.stringify({ eventName: 'NoId', credentials: { sessionToken: `leak-${pad}` } }));
    const file = join(dir, 'big.json');
    writeFileSync(file, '{"Records":[');
    for (let i = 0; i < count; i++) appendFileSync(file, Buffer.concat([big, Buffer.from(',')]));
    appendFileSync(file, `${good('after-big', 4)}]}`);
    const done = await audit.importer.importPath(file);
    expect(done).toMatchObject({ events: count + 1, inserted: 1, bad: count });
    const rows = await badRows();
    expect(rows).toHaveLength(count);
    expect(rows[0]?.reason).toBe('record has no eventID');
    for (const row of rows) {
      expect(row.excerpt?.length).toBeLessThanOrEqual(8192);
      expect(row.excerpt).toContain('"sessionToken":"***');
      expect(row.excerpt).not.toContain('leak-');
    }
  });

  it('a record over the size limit is refused without being held, and reading goes on', async () => {
    const huge = `"${'y'.repeat(2 * 1024 * 1024)}"`;
    const body = `{"Records":[${huge},${good('after-huge', 5)}]}`;
    const done = await audit.importer.importStream(Readable.from([Buffer.from(body)]), 'huge.json');
    expect(done).toMatchObject({ events: 2, inserted: 1, bad: 1 });
    expect((await badRows())[0]?.reason).toBe('record 0 refused: record is larger than 1048576 bytes');
  });
});
