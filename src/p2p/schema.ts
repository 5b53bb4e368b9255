// Tiny schema combinators for the wire codec: one declaration per message gives the encoder, the
// decoder and the TypeScript payload type, so the three can never drift apart. Every reader is
// bounded (counts and lengths checked before allocating) and throws only DecodeError.
import { ByteReader, ByteWriter, DecodeError } from '../core/index.js';
import { P2PError } from './errors.js';

export interface Field<T> {
  write(w: ByteWriter, v: T): void;
  read(r: ByteReader): T;
  /** Smallest encoded size: lets a list reject a count that cannot fit before allocating. */
  readonly minBytes: number;
  /** Marks a struct member that may be absent (see `optional`). */
  readonly optional?: true;
}

export type Infer<F> = F extends Field<infer T> ? T : never;

type Shape = Record<string, Field<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { optional: true } ? K : never }[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
/** The payload type a struct schema describes; optional members become `k?: T`. */
export type StructOf<S extends Shape> = Simplify<{ [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined> }>;

function invalid(msg: string): never {
  throw new P2PError('invalid-message', msg);
}

function checkInt(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) invalid(`${what}: expected an integer in [0, ${max}], got ${v}`);
}

export const u16: Field<number> = {
  minBytes: 2,
  write: (w, v) => (checkInt(v, 0xffff, 'u16'), w.u16(v)),
  read: (r) => r.u16(),
};

export const u32: Field<number> = {
  minBytes: 4,
  write: (w, v) => (checkInt(v, 0xffffffff, 'u32'), w.u32(v)),
  read: (r) => r.u32(),
};

export const u64: Field<bigint> = {
  minBytes: 8,
  write: (w, v) => {
    if (typeof v !== 'bigint' || v < 0n || v >= 1n << 64n) invalid(`u64: out of range: ${String(v)}`);
    w.u64(v);
  },
  read: (r) => r.u64(),
};

export function fixedBytes(len: number): Field<Uint8Array> {
  return {
    minBytes: len,
    write: (w, v) => {
      if (!(v instanceof Uint8Array) || v.length !== len) invalid(`expected ${len} bytes`);
      w.fixed(v, len);
    },
    read: (r) => r.fixed(len),
  };
}

/** Length-prefixed bytes (u16 or u32 prefix) with a hard upper bound. */
export function varBytes(prefix: 'u16' | 'u32', max: number): Field<Uint8Array> {
  return {
    minBytes: prefix === 'u16' ? 2 : 4,
    write: (w, v) => {
      if (!(v instanceof Uint8Array)) invalid('expected bytes');
      if (v.length > max) invalid(`expected at most ${max} bytes, got ${v.length}`);
      if (prefix === 'u16') w.varBytes16(v);
      else w.varBytes32(v);
    },
    read: (r) => (prefix === 'u16' ? r.varBytes16(max) : r.varBytes32(max)),
  };
}

/**
 * u32-prefixed bytes read as a view into the frame, not a copy: for a body the receiver decodes
 * and drops (a block: decodeBlock copies the bytes it keeps, once). The view pins the frame only
 * while the message is in hand.
 */
export function varBytes32View(max: number): Field<Uint8Array> {
  const copying = varBytes('u32', max);
  return { minBytes: 4, write: copying.write, read: (r) => r.varBytes32View(max) };
}

/**
 * Unsigned bigint as a u8 length then minimal big-endian bytes (no leading zero byte; 0 is empty).
 * Minimality keeps the encoding canonical; the bound keeps it small.
 */
export function uintBig(maxBytes: number): Field<bigint> {
  return {
    minBytes: 1,
    write: (w, v) => {
      if (typeof v !== 'bigint' || v < 0n || v >= 1n << BigInt(8 * maxBytes)) invalid(`expected a non-negative bigint below 2^${8 * maxBytes}`);
      let hex = v === 0n ? '' : v.toString(16);
      if (hex.length % 2) hex = '0' + hex;
      w.u8(hex.length / 2);
      for (let i = 0; i < hex.length; i += 2) w.u8(parseInt(hex.slice(i, i + 2), 16));
    },
    read: (r) => {
      const n = r.u8();
      if (n > maxBytes) throw new DecodeError('oversize', `bigint: expected at most ${maxBytes} bytes, got ${n}`);
      const b = r.fixed(n);
      if (n > 0 && b[0] === 0) throw new DecodeError('malformed', 'bigint: non-minimal encoding (leading zero byte)');
      let v = 0n;
      for (const x of b) v = (v << 8n) | BigInt(x);
      return v;
    },
  };
}

/** A string enum carried as one byte. */
export function enumU8<const T extends string>(codes: Readonly<Record<T, number>>): Field<T> {
  const back = new Map<number, T>();
  for (const k of Object.keys(codes) as T[]) back.set(codes[k], k);
  return {
    minBytes: 1,
    write: (w, v) => {
      const c = codes[v];
      if (c === undefined) invalid(`unknown enum value ${String(v)}`);
      w.u8(c);
    },
    read: (r) => {
      const c = r.u8();
      const v = back.get(c);
      if (v === undefined) throw new DecodeError('bad-kind', `expected one of ${[...back.keys()].join(', ')}, got ${c}`);
      return v;
    },
  };
}

/** A counted list with a hard maximum; the count is u16 or u32. */
export function list<T>(item: Field<T>, max: number, count: 'u16' | 'u32'): Field<T[]> {
  return {
    minBytes: count === 'u16' ? 2 : 4,
    write: (w, v) => {
      if (!Array.isArray(v)) invalid('expected a list');
      if (v.length > max) invalid(`expected at most ${max} entries, got ${v.length}`);
      if (count === 'u16') w.u16(v.length);
      else w.u32(v.length);
      for (const x of v) item.write(w, x);
    },
    read: (r) => {
      const n = count === 'u16' ? r.u16() : r.u32();
      if (n > max) throw new DecodeError('oversize', `expected at most ${max} entries, got ${n}`);
      // Reject impossible counts before allocating: a 10-byte frame cannot hold 50,000 items.
      if (n * item.minBytes > r.remaining) throw new DecodeError('truncated', `${n} entries cannot fit in ${r.remaining} bytes`);
      const out: T[] = new Array<T>(n);
      for (let i = 0; i < n; i++) out[i] = item.read(r);
      return out;
    },
  };
}

/** A member that may be absent: one flag byte (0 absent, 1 present), then the value. */
export function optional<T>(f: Field<T>): Field<T | undefined> & { optional: true } {
  return {
    optional: true,
    minBytes: 1,
    write: (w, v) => {
      if (v === undefined) w.u8(0);
      else {
        w.u8(1);
        f.write(w, v);
      }
    },
    read: (r) => {
      const flag = r.u8();
      if (flag === 0) return undefined;
      if (flag !== 1) throw new DecodeError('malformed', `optional flag: expected 0 or 1, got ${flag}`);
      return f.read(r);
    },
  };
}

/** Members in declaration order (the order is the encoding). Absent optionals stay absent on decode. */
export function struct<S extends Shape>(shape: S): Field<StructOf<S>> {
  const entries = Object.entries(shape);
  return {
    minBytes: entries.reduce((s, [, f]) => s + f.minBytes, 0),
    write: (w, v) => {
      if (typeof v !== 'object' || v === null) invalid('expected an object');
      const rec = v as Record<string, unknown>;
      for (const [k, f] of entries) f.write(w, rec[k]);
    },
    read: (r) => {
      const out: Record<string, unknown> = {};
      for (const [k, f] of entries) {
        const x = f.read(r);
        if (x !== undefined) out[k] = x;
      }
      return out as StructOf<S>;
    },
  };
}
