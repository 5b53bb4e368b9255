// Byte writer/reader for the one canonical encoding: fixed field order, big-endian fixed-width
// integers, length-prefixed variable bytes. The reader never reads past its end: it throws DecodeError.
// The writer never wraps: a value outside its field's width throws EncodeError before any byte is
// written (DataView would silently take 2^64 as 0 and -1 as 2^64-1, so one signature would cover two
// different transactions).
import { DecodeError, EncodeError } from './errors.js';

export const U64_MAX = (1n << 64n) - 1n;

const show = (v: unknown): string => (typeof v === 'bigint' ? `${v}n` : typeof v === 'number' ? String(v) : typeof v);

/** An integer number in [0, max] (max <= 2^32-1), or EncodeError naming the field. */
export function checkUint(v: number, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new EncodeError('out-of-range', `${what}: expected an integer from 0 to ${max}, got ${show(v)}`);
  return v;
}

/** A bigint in [min, 2^64-1], or EncodeError naming the field. */
export function checkU64(v: bigint, what: string, min = 0n): bigint {
  if (typeof v !== 'bigint') throw new EncodeError('bad-type', `${what}: expected a bigint, got ${show(v)}`);
  if (v < min || v > U64_MAX) throw new EncodeError('out-of-range', `${what}: expected an integer from ${min} to 2^64-1, got ${v}`);
  return v;
}

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    checkUint(v, 0xff, 'u8');
    this.ensure(1);
    this.view.setUint8(this.pos, v);
    this.pos += 1;
    return this;
  }
  u16(v: number): this {
    checkUint(v, 0xffff, 'u16');
    this.ensure(2);
    this.view.setUint16(this.pos, v);
    this.pos += 2;
    return this;
  }
  u32(v: number): this {
    checkUint(v, 0xffffffff, 'u32');
    this.ensure(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
    return this;
  }
  u64(v: bigint): this {
    checkU64(v, 'u64');
    this.ensure(8);
    this.view.setBigUint64(this.pos, v);
    this.pos += 8;
    return this;
  }
  /** Fixed-width bytes: the length is part of the schema, so none is written. */
  fixed(bytes: Uint8Array, len: number): this {
    if (!(bytes instanceof Uint8Array)) throw new EncodeError('bad-type', `expected ${len} bytes, got ${show(bytes)}`);
    if (bytes.length !== len) throw new EncodeError('bad-length', `expected ${len} bytes, got ${bytes.length}`);
    this.ensure(len);
    this.buf.set(bytes, this.pos);
    this.pos += len;
    return this;
  }
  /** u16 length prefix. */
  varBytes16(bytes: Uint8Array): this {
    this.u16(bytes.length);
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }
  /** u32 length prefix. */
  varBytes32(bytes: Uint8Array): this {
    this.u32(bytes.length);
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }
  /**
   * The bytes written. A writer sized exactly hands over its buffer uncopied (the writer is done
   * with it: any further write would not fit, so it would grow into a new buffer first).
   */
  finish(): Uint8Array {
    return this.pos === this.buf.length ? this.buf : this.buf.slice(0, this.pos);
  }
}

/**
 * Reads one encoding. `fixed` and the var-bytes readers return copies the caller owns; `borrow` and
 * `varBytes32View` return views into the input, for callers that copy once themselves (a block's txs
 * share one copy) or drop the view before the input is reused (a frame decoded then discarded).
 */
export class ByteReader {
  private readonly view: DataView;
  /** The input as a plain Uint8Array view: a Buffer's `slice` is a view, so it is never called on one. */
  private readonly bytes: Uint8Array;
  private pos = 0;
  /** Where reading must stop: the input's end, or the end of the span being read (`beginSpan`). */
  private limit: number;
  private what: string;

  constructor(input: Uint8Array, private readonly outerWhat = 'value') {
    this.bytes = Object.getPrototypeOf(input) === Uint8Array.prototype ? input : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
    this.limit = input.length;
    this.what = outerWhat;
  }

  get offset(): number {
    return this.pos;
  }
  get remaining(): number {
    return this.limit - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.limit) {
      throw new DecodeError('truncated', `${this.what}: expected ${n} more bytes at offset ${this.pos}, got ${this.limit - this.pos}`);
    }
  }

  /**
   * Reads the next `len` bytes as an encoding of their own (a block's tx), with this reader: the
   * reads stop at the span's end as a reader over those bytes alone would (same errors), without a
   * reader and a DataView per span. Returns the span's start for `endSpan`. Spans do not nest.
   */
  beginSpan(len: number, what: string): number {
    if (this.limit !== this.bytes.length) throw new RangeError('ByteReader: spans do not nest');
    this.need(len);
    this.limit = this.pos + len;
    this.what = what;
    return this.pos;
  }

  /** Ends the span begun at `start` (it must be read whole: trailing-bytes otherwise); returns it as a view. */
  endSpan(start: number): Uint8Array {
    this.end();
    this.limit = this.bytes.length;
    this.what = this.outerWhat;
    return this.bytes.subarray(start, this.pos);
  }
  u8(): number {
    this.need(1);
    return this.view.getUint8(this.pos++);
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }
  /** A copy of the next `len` bytes (never a view, whatever the input's class). */
  fixed(len: number): Uint8Array {
    this.need(len);
    const out = this.bytes.slice(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  /** Fixed-width bytes as a view into the input (no copy): it pins and aliases the input. */
  borrow(len: number): Uint8Array {
    this.need(len);
    const out = this.bytes.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  /** A u16 length prefix, checked against `max`. */
  u16Len(max: number): number {
    const len = this.u16();
    if (len > max) throw new DecodeError('oversize', `${this.what}: expected at most ${max} bytes, got ${len}`);
    return len;
  }
  varBytes16(max: number): Uint8Array {
    const len = this.u16();
    if (len > max) throw new DecodeError('oversize', `${this.what}: expected at most ${max} bytes, got ${len}`);
    return this.fixed(len);
  }
  varBytes32(max: number): Uint8Array {
    return this.fixed(this.u32Len(max));
  }
  /** varBytes32 as a view into the input (no copy): see `borrow`. */
  varBytes32View(max: number): Uint8Array {
    return this.borrow(this.u32Len(max));
  }
  private u32Len(max: number): number {
    const len = this.u32();
    if (len > max) throw new DecodeError('oversize', `${this.what}: expected at most ${max} bytes, got ${len}`);
    return len;
  }
  /** Canonical encodings have exactly one byte form: leftovers are an error, not ignored. */
  end(): void {
    if (this.pos !== this.limit) {
      throw new DecodeError('trailing-bytes', `${this.what}: ${this.limit - this.pos} trailing bytes after offset ${this.pos}`);
    }
  }
}
