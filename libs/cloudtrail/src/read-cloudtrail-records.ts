import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { RecordSplitter } from './lib/record-splitter';

/** A file path, or a stream of the file's bytes (plain JSON or gzip). */
export type CloudTrailSource = string | Readable | AsyncIterable<Buffer | Uint8Array>;

export type RawCloudTrailRecord =
  | { index: number; ok: true; record: unknown; rawSize: number }
  | { index: number; ok: false; reason: string; rawSize: number };

export interface ReadRecordsOptions {
  /** Refuse (throw `RECORD_TOO_LARGE`) past this many bytes in one record; default 8 MiB. */
  maxRecordBytes?: number;
}

/**
 * Streams the records of a CloudTrail file, `{"Records":[...]}` (S3 delivery) or a bare JSON
 * array, gzip detected from the magic bytes whatever the name. Memory holds one chunk and one
 * record, never the file. A record that is not valid JSON is yielded with `ok: false`; a file that
 * is truncated or holds no records array throws a `CloudTrailFileError` after the good records.
 */
export async function* readCloudTrailRecords(
  source: CloudTrailSource,
  options: ReadRecordsOptions = {},
): AsyncGenerator<RawCloudTrailRecord> {
  const splitter = new RecordSplitter(options.maxRecordBytes);
  let index = 0;
  for await (const chunk of decompressed(source)) {
    for (const raw of splitter.push(chunk)) {
      const at = index++;
      try {
        yield { index: at, ok: true, record: JSON.parse(raw.text), rawSize: raw.bytes };
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
