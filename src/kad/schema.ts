// Tiny schema combinators for discovery packets: one declaration per packet type gives the encoder,
// the strict decoder and the TypeScript body type. Every reader is bounded (counts and lengths are
// checked before allocating) and throws only DecodeError; writers throw RangeError on a local bug.
import { ByteReader, ByteWriter, DecodeError } from '../core/index.js';
import { ipBytesShared, ipFromBytes } from './addr.js';

export interface Field<T> {
  write(w: ByteWriter, v: T): void;
  read(r: ByteReader): T;
}
export type Infer<F> = F extends Field<infer T> ? T : never;
type Shape = Record<string, Field<unknown>>;
export type StructOf<S extends Shape> = { [K in keyof S]: Infer<S[K]> };

export const u8: Field<number> = { write: (w, v) => void w.u8(v), read: (r) => r.u8() };
export const u16: Field<number> = { write: (w, v) => void w.u16(v), read: (r) => r.u16() };
export const u32: Field<number> = { write: (w, v) => void w.u32(v), read: (r) => r.u32() };
/** Milliseconds since the epoch, as u64 on the wire. */
export const timeMs: Field<number> = {
  write: (w, v) => void w.u64(BigInt(Math.max(0, Math.floor(v)))),
  read: (r) => {
    const v = r.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError('oversize', 'time out of range');
    return Number(v);
  },
};
export const bool: Field<boolean> = {
  write: (w, v) => void w.u8(v ? 1 : 0),
  read: (r) => {
    const v = r.u8();
    if (v > 1) throw new DecodeError('bad-kind', `expected a 0/1 flag, got ${v}`);
    return v === 1;
  },
};

export function bytes(len: number): Field<Uint8Array> {
  return { write: (w, v) => void w.fixed(v, len), read: (r) => r.fixed(len) };
}

export function varBytes(max: number): Field<Uint8Array> {
  return {
    write: (w, v) => {
      if (v.length > max) throw new RangeError(`expected at most ${max} bytes, got ${v.length}`);
      w.varBytes16(v);
    },
    read: (r) => r.varBytes16(max),
  };
}

/** An IP address: family byte (4 or 6) then 4 or 16 bytes; read back as canonical text. */
export const ip: Field<string> = {
  write: (w, v) => {
    const b = ipBytesShared(v); // read only: copied into the datagram
    if (!b) throw new RangeError(`not an IP address: ${v}`);
    w.u8(b.length === 4 ? 4 : 6).fixed(b, b.length);
  },
  read: (r) => {
    const fam = r.u8();
    if (fam !== 4 && fam !== 6) throw new DecodeError('bad-kind', `unknown address family ${fam}`);
    // Read as text at once: a view of the input is enough (no copy of 4 or 16 bytes).
    return ipFromBytes(r.borrow(fam === 4 ? 4 : 16));
  },
};

/** A u8 count (at most `max`, at least `min`) then the items. */
export function list<T>(item: Field<T>, max: number, min = 0): Field<T[]> {
  return {
    write: (w, v) => {
      if (v.length > max || v.length < min) throw new RangeError(`expected ${min}..${max} items, got ${v.length}`);
      w.u8(v.length);
      for (const x of v) item.write(w, x);
    },
    read: (r) => {
      const n = r.u8();
      if (n > max || n < min) throw new DecodeError('oversize', `expected ${min}..${max} items, got ${n}`);
      const out: T[] = [];
      for (let i = 0; i < n; i++) out.push(item.read(r));
      return out;
    },
  };
}

/** A struct: its fields in order. `readInto` reads them onto an object the caller made (e.g. one that carries a type tag). */
export function struct<S extends Shape>(shape: S): Field<StructOf<S>> & { readInto<O extends object>(r: ByteReader, out: O): O & StructOf<S> } {
  const keys = Object.keys(shape) as (keyof S & string)[];
  const fields = keys.map((k) => shape[k]!);
  const readInto = <O extends object>(r: ByteReader, out: O): O & StructOf<S> => {
    const o = out as Record<string, unknown>;
    for (let i = 0; i < keys.length; i++) o[keys[i]!] = fields[i]!.read(r);
    return out as O & StructOf<S>;
  };
  return {
    write: (w, v) => { for (let i = 0; i < keys.length; i++) fields[i]!.write(w, v[keys[i]!]); },
    read: (r) => readInto(r, {}) as StructOf<S>,
    readInto,
  };
}
