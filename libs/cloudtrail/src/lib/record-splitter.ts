import { CloudTrailFileError } from './cloudtrail-file.error';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

/**
 * One element of the records array: the exact bytes of its JSON text, or, when it broke a limit,
 * why it was refused (its bytes were skipped, never kept).
 */
export type RawRecordText = { text: string; bytes: number } | { refused: string; bytes: number };

/** A top-level member the splitter skipped (its name broke the limit); not a record. */
export interface SkippedMember {
  skipped: string;
}

/** What the splitter keeps at most; anything past a limit is skipped and reported, never held. */
export interface SplitterLimits {
  /** Bytes in one record (default 1 MiB: CloudTrail records are KiBs; AWS omits oversized elements). */
  maxRecordBytes: number;
  /** Nesting levels inside one record, the record's own object being 1 (default 64). */
  maxDepth: number;
  /** Bytes of a top-level member name (default 1 KiB): only "Records" matters. */
  maxMemberNameBytes: number;
}

/** Deeper than any CloudTrail record; JSON.stringify of far deeper values overflows the stack. */
export const MAX_RECORD_DEPTH = 64;

export const DEFAULT_SPLITTER_LIMITS: SplitterLimits = {
  maxRecordBytes: 1024 * 1024,
  maxDepth: MAX_RECORD_DEPTH,
  maxMemberNameBytes: 1024,
};

/**
 * Splits a CloudTrail file (`{"Records":[...]}` or a bare `[...]`) into the JSON text of each
 * record while the bytes stream in, so memory holds one record at a time instead of the file.
 * It tracks nesting and strings only; each record is then handed to `JSON.parse`, which does the
 * real validation. Top-level members other than `Records` are skipped without being kept.
 * Memory is bounded by the limits whatever the input: a record over the size or depth limit is
 * skipped to its end and reported as refused; an over-long member name is skipped and reported.
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
  private keyBytes = 0;
  private lastKey = '';
  private element: 'none' | 'nested' | 'string' | 'scalar' = 'none';
  private pieces: Buffer[] = [];
  private captured = 0;
  // Why the record being read is refused (its bytes are then counted, not kept).
  private refusal: string | null = null;
  private readonly skipped: SkippedMember[] = [];
  // Position of the next backslash in the current chunk (-1: none left), so that finding string
  // ends stays linear in the chunk size.
  private nextSlash = -1;

  private readonly limits: SplitterLimits;

  constructor(limits: Partial<SplitterLimits> = {}) {
    this.limits = { ...DEFAULT_SPLITTER_LIMITS, ...limits };
  }

  /** Top-level members skipped since the last call (drains them). */
  takeSkipped(): SkippedMember[] {
    return this.skipped.splice(0);
  }

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
          this.keepKey(chunk.subarray(keyStart, end));
          this.lastKey = this.keyBytes > this.limits.maxMemberNameBytes ? '' : Buffer.concat(this.keyPieces).toString('utf8');
          if (!this.lastKey && this.keyBytes > this.limits.maxMemberNameBytes) {
            this.skipped.push({ skipped: `a top-level member name is longer than ${this.limits.maxMemberNameBytes} bytes (${this.keyBytes}); member skipped` });
          }
          this.keyPieces = [];
          this.keyBytes = 0;
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
    if (this.capturingKey && keyStart !== -1) this.keepKey(chunk.subarray(keyStart));
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
      if (this.element === 'nested' && this.depth - this.recordsDepth > this.limits.maxDepth && !this.refusal) {
        this.refuse(`record nests deeper than ${this.limits.maxDepth} levels`);
      }
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

  private keepKey(piece: Buffer): void {
    this.keyBytes += piece.length;
    if (this.keyBytes <= this.limits.maxMemberNameBytes) this.keyPieces.push(piece);
    else this.keyPieces = [];
  }

  private keep(piece: Buffer): void {
    this.captured += piece.length;
    if (this.refusal) return;
    if (this.captured > this.limits.maxRecordBytes) {
      this.refuse(`record is larger than ${this.limits.maxRecordBytes} bytes`);
      return;
    }
    this.pieces.push(piece);
  }

  private refuse(reason: string): void {
    this.refusal = reason;
    this.pieces = [];
  }

  private finish(chunk: Buffer, start: number, end: number): RawRecordText {
    this.keep(chunk.subarray(start === -1 ? 0 : start, end));
    const refusal = this.refusal;
    const bytes = this.captured;
    const whole = refusal ? null : this.pieces.length === 1 ? this.pieces[0] : Buffer.concat(this.pieces);
    this.pieces = [];
    this.captured = 0;
    this.refusal = null;
    this.element = 'none';
    return whole ? { text: whole.toString('utf8'), bytes } : { refused: refusal ?? 'record refused', bytes };
  }
}
