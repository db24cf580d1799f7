import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { RecordSplitter, type SplitterLimits } from './lib/record-splitter';

/** A file path, or a stream of the file's bytes (plain JSON or gzip). */
export type CloudTrailSource = string | Readable | AsyncIterable<Buffer | Uint8Array>;

/**
 * One record of the file, parsed or refused with its reason. `index` counts the records array's
 * elements from 0; a skipped top-level member (not a record) is reported with a negative index
 * (-2, -3, ...; -1 is left to callers for "the file as a whole").
 */
export type RawCloudTrailRecord =
  | { index: number; ok: true; record: unknown; rawSize: number; /** The record's JSON text (for excerpts). */ text: string }
  | { index: number; ok: false; reason: string; rawSize: number };

/**
 * Limits that bound memory whatever the file holds (defaults: 1 MiB per record, 64 nesting levels,
 * 1 KiB per top-level member name). A record past a limit is refused (`ok: false`), never held.
 */
export type ReadRecordsOptions = Partial<SplitterLimits>;

/**
 * Streams the records of a CloudTrail file, `{"Records":[...]}` (S3 delivery) or a bare JSON
 * array, gzip detected from the magic bytes whatever the name. Memory holds one chunk and one
 * record (at most `maxRecordBytes`), never the file. A record that is not valid JSON, too large or
 * too deep is yielded with `ok: false` and its reason, and reading goes on; a file that is truncated
 * or holds no records array throws a `CloudTrailFileError` after the good records.
 */
export async function* readCloudTrailRecords(
  source: CloudTrailSource,
  options: ReadRecordsOptions = {},
): AsyncGenerator<RawCloudTrailRecord> {
  const splitter = new RecordSplitter(options);
  let index = 0;
  let skippedIndex = -1;
  for await (const chunk of decompressed(source)) {
    const records = splitter.push(chunk);
    for (const member of splitter.takeSkipped()) yield { index: --skippedIndex, ok: false, reason: member.skipped, rawSize: 0 };
    for (const raw of records) {
      const at = index++;
      if ('refused' in raw) {
        yield { index: at, ok: false, reason: `record ${at} refused: ${raw.refused}`, rawSize: raw.bytes };
        continue;
      }
      try {
        yield { index: at, ok: true, record: JSON.parse(raw.text), rawSize: raw.bytes, text: raw.text };
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
        yield {
          index: at,
          ok: false,
          reason: `record ${at} is not valid JSON: ${error.message}`,
          rawSize: raw.bytes,
        };
      }
    }
  }
  splitter.end();
}

const CHUNK = 256 * 1024;

async function* decompressed(source: CloudTrailSource): AsyncGenerator<Buffer> {
  if (typeof source === 'string') {
    const gzip = await isGzipFile(source);
    const file = createReadStream(source, { highWaterMark: CHUNK });
    // pipeline() destroys both ends on error, so a corrupt archive surfaces through the iteration.
    const bytes = gzip ? pipeline(file, createGunzip({ chunkSize: CHUNK }), () => undefined) : file;
    for await (const chunk of bytes) yield chunk as Buffer;
    return;
  }
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const head = toBuffer(first.value);
  if (head[0] !== 0x1f || head[1] !== 0x8b) {
    yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next())
      yield toBuffer(next.value);
    return;
  }
  const compressed = Readable.from(
    (async function* () {
      yield head;
      for (let next = await iterator.next(); !next.done; next = await iterator.next())
        yield toBuffer(next.value);
    })(),
  );
  for await (const chunk of pipeline(compressed, createGunzip({ chunkSize: CHUNK }), () => undefined)) {
    yield chunk as Buffer;
  }
}

async function isGzipFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk));
}
