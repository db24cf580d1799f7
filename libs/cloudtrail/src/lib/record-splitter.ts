import { CloudTrailFileError } from './cloudtrail-file.error';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

/** One element of the records array, as the exact bytes of its JSON text. */
export interface RawRecordText {
  text: string;
  bytes: number;
}

/**
 * Splits a CloudTrail file (`{"Records":[...]}` or a bare `[...]`) into the JSON text of each
 * record while the bytes stream in, so memory holds one record at a time instead of the file.
 * It tracks nesting and strings only; each record is then handed to `JSON.parse`, which does the
 * real validation. Top-level members other than `Records` are skipped without being kept.
 */
export class RecordSplitter {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private mode: 'unknown' | 'array' | 'object' = 'unknown';
  private recordsDepth = -1;
  private sawRecords = false;
  private expectKey = false;
  private capturingKey = false;
  private keyPieces: Buffer[] = [];
  private lastKey = '';
  private element: 'none' | 'nested' | 'string' | 'scalar' = 'none';
  private pieces: Buffer[] = [];
  private captured = 0;
  // Position of the next backslash in the current chunk (-1: none left), so that finding string
  // ends stays linear in the chunk size.
  private nextSlash = -1;

  constructor(private readonly maxRecordBytes = 8 * 1024 * 1024) {}

  /** Feeds the next chunk; returns the records completed within it. */
  push(chunk: Buffer): RawRecordText[] {
    const out: RawRecordText[] = [];
    let start = this.element === 'none' ? -1 : 0;
    let keyStart = this.capturingKey ? 0 : -1;
    const len = chunk.length;
    this.nextSlash = chunk.indexOf(BACKSLASH);
    let i = 0;
    if (this.mode === 'unknown' && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
    while (i < len) {
      if (this.inString) {
        const end = this.scanString(chunk, i);
        if (end === -1) break;
        this.inString = false;
        i = end + 1;
        if (this.capturingKey) {
          this.keyPieces.push(chunk.subarray(keyStart, end));
          this.lastKey = Buffer.concat(this.keyPieces).toString('utf8');
          this.keyPieces = [];
          this.capturingKey = false;
          this.expectKey = false;
          keyStart = -1;
        }
        if (this.element === 'string' && this.depth === this.recordsDepth) {
          out.push(this.finish(chunk, start, i));
          start = -1;
        }
        continue;
      }
      const c = chunk[i];
      if (c <= 0x20) {
        if (this.element === 'scalar') {
          out.push(this.finish(chunk, start, i));
          start = -1;
        }
        i++;
        continue;
      }
      if (this.depth === this.recordsDepth && this.element === 'none' && c !== COMMA && c !== CLOSE_ARRAY) {
        start = i;
        this.element = c === OPEN_OBJECT || c === OPEN_ARRAY ? 'nested' : c === QUOTE ? 'string' : 'scalar';
      } else if (this.element === 'scalar' && (c === COMMA || c === CLOSE_ARRAY)) {
        out.push(this.finish(chunk, start, i));
        start = -1;
      }
      i = this.structural(c, chunk, i, out, start);
      if (this.element === 'none') start = -1;
      if (this.capturingKey && keyStart === -1) keyStart = i;
    }
    if (this.element !== 'none' && start !== -1) this.keep(chunk.subarray(start));
    if (this.capturingKey && keyStart !== -1) this.keyPieces.push(chunk.subarray(keyStart));
    return out;
  }

  /** Call after the last chunk: refuses files that were cut short or hold no records array. */
  end(): void {
    if (this.mode === 'unknown') throw new CloudTrailFileError('NOT_A_CLOUDTRAIL_FILE', 'the file is empty');
    if (this.depth !== 0 || this.inString) {
      throw new CloudTrailFileError('TRUNCATED_FILE', 'the file ends inside a JSON value (truncated?)');
    }
    if (this.mode === 'object' && !this.sawRecords) {
      throw new CloudTrailFileError('NOT_A_CLOUDTRAIL_FILE', 'the JSON object has no "Records" array');
    }
  }

  // Handles one structural byte at i; returns the next index.
  private structural(c: number, chunk: Buffer, i: number, out: RawRecordText[], start: number): number {
    if (c === QUOTE) {
      this.inString = true;
      if (this.mode === 'object' && this.depth === 1 && this.expectKey) this.capturingKey = true;
      return i + 1;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (this.mode === 'unknown') {
        this.mode = c === OPEN_ARRAY ? 'array' : 'object';
        if (c === OPEN_ARRAY) this.recordsDepth = 1;
      } else if (
        this.mode === 'object' &&
        this.depth === 1 &&
        c === OPEN_ARRAY &&
        this.lastKey === 'Records'
      ) {
        this.recordsDepth = 2;
        this.sawRecords = true;
      }
      this.depth++;
      if (this.mode === 'object' && this.depth === 1) this.expectKey = true;
      return i + 1;
    }
    if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      this.depth--;
      if (this.depth < 0) throw new CloudTrailFileError('NOT_A_CLOUDTRAIL_FILE', 'unbalanced JSON brackets');
      if (this.depth === this.recordsDepth && this.element === 'nested')
        out.push(this.finish(chunk, start, i + 1));
      else if (this.depth === this.recordsDepth - 1 && this.recordsDepth === 2) this.recordsDepth = -1;
      return i + 1;
    }
    if (c === COMMA && this.mode === 'object' && this.depth === 1) this.expectKey = true;
    if (this.mode === 'unknown') {
      throw new CloudTrailFileError('NOT_A_CLOUDTRAIL_FILE', 'the file is not a JSON object or array');
    }
    return i + 1;
  }

  // Returns the index of the closing quote, or -1 when the string continues in the next chunk.
  private scanString(chunk: Buffer, from: number): number {
    let i = from;
    if (this.escaped) {
      this.escaped = false;
      i++;
    }
    const len = chunk.length;
    while (i < len) {
      const quote = chunk.indexOf(QUOTE, i);
      if (this.nextSlash !== -1 && this.nextSlash < i) this.nextSlash = chunk.indexOf(BACKSLASH, i);
      const slash = this.nextSlash;
      if (slash !== -1 && (quote === -1 || slash < quote)) {
        if (slash + 1 >= len) {
          this.escaped = true;
          return -1;
        }
        i = slash + 2;
        continue;
      }
      return quote;
    }
    return -1;
  }

  private keep(piece: Buffer): void {
    this.captured += piece.length;
    if (this.captured > this.maxRecordBytes) {
      throw new CloudTrailFileError(
        'RECORD_TOO_LARGE',
        `a record is larger than ${this.maxRecordBytes} bytes`,
      );
    }
    this.pieces.push(piece);
  }

  private finish(chunk: Buffer, start: number, end: number): RawRecordText {
    this.keep(chunk.subarray(start === -1 ? 0 : start, end));
    const whole = this.pieces.length === 1 ? this.pieces[0] : Buffer.concat(this.pieces);
    this.pieces = [];
    this.captured = 0;
    this.element = 'none';
    return { text: whole.toString('utf8'), bytes: whole.length };
  }
}
