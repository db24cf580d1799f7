import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { readCloudTrailRecords, type RawCloudTrailRecord } from './read-cloudtrail-records';
import { CloudTrailFileError } from './lib/cloudtrail-file.error';

const tricky = [
  { eventID: 'a', s: 'brackets ] } [ { inside, "quotes" and \\ backslashes \\"', n: [1, [2, { x: '}' }]] },
  { eventID: 'b', unicode: 'žluťoučký 🐎', empty: {}, list: [] },
  { eventID: 'c', trailing: '\\' },
];

async function collectWith(
  source: Parameters<typeof readCloudTrailRecords>[0],
  options: Parameters<typeof readCloudTrailRecords>[1] = {},
): Promise<RawCloudTrailRecord[]> {
  const out: RawCloudTrailRecord[] = [];
  for await (const r of readCloudTrailRecords(source, options)) out.push(r);
  return out;
}

function collect(source: Parameters<typeof readCloudTrailRecords>[0]): Promise<RawCloudTrailRecord[]> {
  return collectWith(source, {});
}

function chunked(text: string | Buffer, sizes: (i: number) => number): Readable {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const parts: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = Math.max(1, sizes(i));
    parts.push(bytes.subarray(at, at + size));
    at += size;
  }
  return Readable.from(parts);
}

function records(out: RawCloudTrailRecord[]): unknown[] {
  return out.map((r) => (r.ok ? r.record : r.reason));
}

describe('readCloudTrailRecords', () => {
  const wrapped = JSON.stringify(
    { Other: { Records: 'not this one' }, Records: tricky, After: [1] },
    null,
    2,
  );
  const bare = JSON.stringify(tricky);

  it('reads {"Records":[...]} whatever the chunk boundaries, one byte at a time included', async () => {
    expect(records(await collect(chunked(wrapped, () => 1)))).toEqual(tricky);
    expect(records(await collect(chunked(wrapped, (i) => (i * 7919) % 13)))).toEqual(tricky);
    expect(records(await collect(chunked(wrapped, () => 1 << 20)))).toEqual(tricky);
  });

  it('reads a bare array, reports each record byte size and index', async () => {
    const out = await collect(chunked(bare, (i) => 3 + (i % 5)));
    expect(records(out)).toEqual(tricky);
    expect(out.map((r) => r.index)).toEqual([0, 1, 2]);
    expect(out[1]!.rawSize).toBe(Buffer.byteLength(JSON.stringify(tricky[1])));
  });

  it('detects gzip by its magic bytes, from a path or a stream, with a UTF-8 BOM tolerated', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ct-'));
    const gz = join(dir, 'any-name.json');
    writeFileSync(gz, gzipSync(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(wrapped)])));
    expect(records(await collect(gz))).toEqual(tricky);
    expect(records(await collect(chunked(gzipSync(bare), () => 5)))).toEqual(tricky);
  });

  it('yields non-object and invalid elements as failures without stopping', async () => {
    const out = await collect(
      Readable.from([Buffer.from('[{"eventID":"x"}, null, 12, "s", {"bad": tru}, {"eventID":"y"}]')]),
    );
    expect(out.map((r) => r.ok)).toEqual([true, true, true, true, false, true]);
    expect(out[1]).toMatchObject({ ok: true, record: null });
    expect(out[4]).toMatchObject({ ok: false, reason: expect.stringContaining('not valid JSON') });
    expect(out[5]).toMatchObject({ ok: true, record: { eventID: 'y' } });
  });

  it('yields the good records of a truncated file, then throws TRUNCATED_FILE', async () => {
    const seen: unknown[] = [];
    const run = async () => {
      for await (const r of readCloudTrailRecords(
        Readable.from([Buffer.from(wrapped.slice(0, wrapped.length - 40))]),
      )) {
        seen.push(r.ok && r.record);
      }
    };
    await expect(run()).rejects.toMatchObject({ code: 'TRUNCATED_FILE' });
    expect(seen).toEqual(tricky.slice(0, 2));
  });

  it('refuses files that are not CloudTrail', async () => {
    for (const text of ['', '{"records": []}', 'hello', '{"a":1}']) {
      const error = await collect(Readable.from([Buffer.from(text)])).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CloudTrailFileError);
      expect((error as CloudTrailFileError).code).toBe('NOT_A_CLOUDTRAIL_FILE');
    }
  });

  it('refuses a record larger than the limit and reads the records after it', async () => {
    const big = JSON.stringify({ Records: [{ eventID: 'x', pad: 'x'.repeat(5000) }, 'y'.repeat(6000), { eventID: 'z' }] });
    const out = await collectWith(chunked(big, () => 512), { maxRecordBytes: 4096 });
    expect(out.map((r) => r.ok)).toEqual([false, false, true]);
    expect(out[0]).toMatchObject({ index: 0, reason: 'record 0 refused: record is larger than 4096 bytes' });
    expect(out[0].rawSize).toBeGreaterThan(5000);
    expect(out[2]).toMatchObject({ index: 2, record: { eventID: 'z' } });
  });

  it('refuses a record nested deeper than the limit, keeping the good records around it', async () => {
    const depth = 100_000;
    const deepObject = `{"eventID":"deep","requestParameters":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
    const deepArray = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const text = `{"Records":[{"eventID":"a"},${deepObject},${deepArray},{"eventID":"b"}]}`;
    const out = await collectWith(chunked(text, () => 65_536), {});
    expect(out.map((r) => r.ok)).toEqual([true, false, false, true]);
    expect(out[1]).toMatchObject({ reason: 'record 1 refused: record nests deeper than 64 levels' });
    expect(out[2]).toMatchObject({ reason: 'record 2 refused: record nests deeper than 64 levels' });
    expect(out[3]).toMatchObject({ index: 3, record: { eventID: 'b' } });
  });

  it('skips a top-level member whose name is over the limit without holding it', async () => {
    const text = `{"${'k'.repeat(5000)}":1,"Records":[{"eventID":"a"}]}`;
    const out = await collectWith(chunked(text, () => 700), { maxMemberNameBytes: 1024 });
    expect(out).toEqual([
      { index: -2, ok: false, rawSize: 0, reason: 'a top-level member name is longer than 1024 bytes (5000); member skipped' },
      { index: 0, ok: true, record: { eventID: 'a' }, rawSize: 15, text: '{"eventID":"a"}' },
    ]);
  });
});
