import { describeEachDatabase } from '@runtrail/testing';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { AuditStoreHarness } from '../../spec/audit-store.harness';
import { callRecord } from '../../spec/trail-records.fixture';
import type { ImportProgress } from './import-files.usecase';

describeEachDatabase('bad CloudTrail records', (db) => {
  let audit: AuditStoreHarness;
  beforeAll(async () => {
    audit = await AuditStoreHarness.open(db.databaseUrl);
  });
  afterAll(() => audit?.close());

  it('keeps bad records aside with their reason, masks their secrets, and imports the rest of the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-bad-'));
    const good = [callRecord('g1', '2026-11-01T10:00:00Z', 'ASIAX', '10.0.0.1'), callRecord('g2', '2026-11-01T10:00:01Z', 'ASIAX', '10.0.0.1')];
    const noId = { ...callRecord('x', '2026-11-01T10:00:02Z', 'ASIAX', '10.0.0.1'), eventID: undefined, responseElements: { credentials: { sessionToken: 'leak-me-not' } } };
    // A record that is not JSON sits between two good ones; a record without eventID after them.
    writeFileSync(join(dir, 'a.json'), `{"Records":[${JSON.stringify(good[0])},{"eventID": nope},${JSON.stringify(good[1])},${JSON.stringify(noId)}]}`);
    // A gzip archive cut short: whatever decompressed before the break is kept (here nothing: the
    // only record is in the lost tail), and the break is one bad record; the import goes on.
    const whole = gzipSync(JSON.stringify({ Records: [callRecord('g3', '2026-11-01T10:00:03Z', 'ASIAX', '10.0.0.1')] }));
    writeFileSync(join(dir, 'b.json.gz'), whole.subarray(0, whole.length - 12));
    writeFileSync(join(dir, 'notes.txt'), 'not a log file');
    const seen: ImportProgress[] = [];
    const done = await audit.importer.importPath(dir, { onProgress: (p) => seen.push(p) });
    expect(done).toMatchObject({ filesTotal: 2, filesDone: 2, inserted: 2, bad: 3 });
    expect(seen.at(-1)?.filesDone).toBe(2);
    const bad = await audit.store.db.all(`select "source", "record_index", "reason", "excerpt" from "bad_record" order by "source", "record_index"`);
    expect(bad.map((r) => [r['source'], Number(r['record_index'])])).toEqual([['a.json', 1], ['a.json', 3], ['b.json.gz', -1]]);
    expect(String(bad[0]?.['reason'])).toMatch(/not valid JSON/);
    expect(String(bad[1]?.['reason'])).toMatch(/eventID/);
    expect(String(bad[1]?.['excerpt'])).toContain('"sessionToken":"***"');
    expect(String(bad[1]?.['excerpt'])).not.toContain('leak-me-not');
    // Importing again counts nothing twice.
    await audit.importer.importPath(dir);
    expect(await audit.count(`select count(*) from "bad_record"`)).toBe(3);
  });

  it('imports a stream (plain or gzip) the same way', async () => {
    const body = gzipSync(JSON.stringify([callRecord('s1', '2026-11-01T11:00:00Z', 'ASIAY', '10.0.0.1')]));
    const done = await audit.importer.importStream(Readable.from([body.subarray(0, 10), body.subarray(10)]), 'upload');
    expect(done).toMatchObject({ events: 1, inserted: 1, bad: 0, filesDone: 1 });
  });
});
