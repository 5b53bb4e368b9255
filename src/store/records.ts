// Disk records (one codec each): block index entries, header records, accounts, undo data, tx
// locations, the verified mark.
import { ByteReader, ByteWriter, ADDRESS_BYTES, checkU64, decodeHeader, encodeHeader, type BlockHeader } from '../core/index.js';
import { bigIntToBytes, bytesToBigInt } from '../crypto/index.js';

export const enum BlockStatus {
  /** Body checked and stored; state validity known only once connected. */
  Stored = 0,
  /** Failed a rule: never connect it or anything built on it. */
  Invalid = 1,
  /** A stale side-branch block whose body was pruned: the header fields stay, the block is unknown. */
  Pruned = 2,
}

export interface IndexRecord {
  height: number;
  parent: Uint8Array;
  timestamp: number;
  target: Uint8Array;
  /** Cumulative work from genesis up to and including this block. */
  work: bigint;
  status: BlockStatus;
  /** Encoded size in bytes. */
  size: number;
  /**
   * CRC-32 of the block bytes as stored, written with them (after the body was checked against its
   * header): a read for a peer checks the header id and this sum instead of re-deriving the merkle
   * root. Absent in records from before it (and from a status rewrite that did not carry it): those
   * reads check the body in full.
   */
  bodyCrc?: number;
}

export function encodeIndexRecord(r: IndexRecord): Uint8Array {
  const w = new ByteWriter(120).u32(r.height).fixed(r.parent, 32).u64(BigInt(r.timestamp)).fixed(r.target, 32).fixed(bigIntToBytes(r.work, 32), 32).u8(r.status).u32(r.size);
  if (r.bodyCrc !== undefined && r.status !== BlockStatus.Pruned) w.u32(r.bodyCrc);
  return w.finish();
}

export function decodeIndexRecord(b: Uint8Array): IndexRecord {
  const r = new ByteReader(b, 'index record');
  const rec: IndexRecord = { height: r.u32(), parent: r.fixed(32), timestamp: Number(r.u64()), target: r.fixed(32), work: bytesToBigInt(r.fixed(32)), status: r.u8() as BlockStatus, size: r.u32() };
  // Optional trailing field (records written before it end here).
  if (r.remaining > 0) rec.bodyCrc = r.u32();
  r.end();
  return rec;
}

/**
 * A header record is the block's canonical header (core/header.ts: one schema, the wire's): served
 * as stored, checked by its hash, which is the id it is stored under.
 */
export function encodeHeaderRecord(h: BlockHeader): Uint8Array {
  return encodeHeader(h);
}

export function decodeHeaderRecord(b: Uint8Array): BlockHeader {
  return decodeHeader(b);
}

export interface AccountRecord {
  balance: bigint;
  nonce: bigint;
}

/**
 * Written through one module-level view, then copied out: a block writes an account record per
 * touched address, and a ByteWriter per record would allocate a buffer and a DataView each (and
 * V8 moves a small typed array's bytes off its heap once its `.buffer` is asked for).
 */
const scratch = new DataView(new ArrayBuffer(40));
const scratchBytes = new Uint8Array(scratch.buffer);

export function encodeAccount(a: AccountRecord): Uint8Array {
  scratch.setBigUint64(0, checkU64(a.balance, 'account balance'));
  scratch.setBigUint64(8, checkU64(a.nonce, 'account nonce'));
  return scratchBytes.slice(0, 16);
}

export function decodeAccount(b: Uint8Array): AccountRecord {
  const r = new ByteReader(b, 'account');
  const a = { balance: r.u64(), nonce: r.u64() };
  r.end();
  return a;
}

export interface UndoEntry {
  address: Uint8Array;
  prior: AccountRecord;
}

export function encodeUndo(entries: UndoEntry[]): Uint8Array {
  const w = new ByteWriter(4 + entries.length * 36).u32(entries.length);
  for (const e of entries) w.fixed(e.address, ADDRESS_BYTES).u64(e.prior.balance).u64(e.prior.nonce);
  return w.finish();
}

export function decodeUndo(b: Uint8Array): UndoEntry[] {
  const r = new ByteReader(b, 'undo');
  const n = r.u32();
  const out: UndoEntry[] = [];
  for (let i = 0; i < n; i++) out.push({ address: r.fixed(ADDRESS_BYTES), prior: { balance: r.u64(), nonce: r.u64() } });
  r.end();
  return out;
}

export interface TxLocation {
  blockId: Uint8Array;
  index: number;
}

export function encodeTxLocation(l: TxLocation): Uint8Array {
  return encodeTxLocationOf(l.blockId, l.index);
}

/**
 * One per tx of every indexed block, so written byte by byte: no ByteWriter, no DataView, and no
 * `.buffer` asked of the new array (V8 would move a small array's bytes off its heap for it).
 */
export function encodeTxLocationOf(blockId: Uint8Array, index: number): Uint8Array {
  if (blockId.length !== 32) throw new RangeError(`expected a 32-byte block id, got ${blockId.length}`);
  if (!Number.isInteger(index) || index < 0 || index > 0xffffffff) throw new RangeError(`expected a u32 tx index, got ${index}`);
  const out = new Uint8Array(36);
  out.set(blockId, 0);
  out[32] = index >>> 24;
  out[33] = (index >>> 16) & 0xff;
  out[34] = (index >>> 8) & 0xff;
  out[35] = index & 0xff;
  return out;
}

export function decodeTxLocation(b: Uint8Array): TxLocation {
  const r = new ByteReader(b, 'tx location');
  const l = { blockId: r.fixed(32), index: r.u32() };
  r.end();
  return l;
}

/** A main-chain block by height and id (the verified mark, the tx index's tip). */
export interface ChainPoint {
  height: number;
  id: Uint8Array;
}

/** "Heights 0..height were walked whole and not rewritten since"; `id` is main[height] then. */
export type VerifiedMark = ChainPoint;

export function encodeChainPoint(m: ChainPoint): Uint8Array {
  return new ByteWriter(36).u32(m.height).fixed(m.id, 32).finish();
}

export function decodeChainPoint(b: Uint8Array, what = 'chain point'): ChainPoint {
  const r = new ByteReader(b, what);
  const m = { height: r.u32(), id: r.fixed(32) };
  r.end();
  return m;
}

export const encodeVerifiedMark = encodeChainPoint;

export function decodeVerifiedMark(b: Uint8Array): VerifiedMark {
  return decodeChainPoint(b, 'verified mark');
}
