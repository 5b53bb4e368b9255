// Blocks: header + length-prefixed txs in one canonical encoding, and the block's merkle root (merkle.ts).
import { toHex } from '../crypto/index.js';
import { ByteReader } from './codec.js';
import { DecodeError } from './errors.js';
import { HEADER_BYTES, MERKLE_OFFSET, PREV_OFFSET, TARGET_OFFSET, encodeHeader, headerId, readHeader, type BlockHeader } from './header.js';
import { MAX_TX_BYTES, readOwnedTx, txBytes, txId, type Tx } from './tx.js';
import { merkleRoot } from './merkle.js';

export { merkleRoot };

/** Absolute decoder ceiling, above any genesis' maxBlockBytes; consensus size is checked in chain/. */
export const MAX_BLOCK_BYTES_HARD = 8 * 1024 * 1024;
const MIN_TX_BYTES = 40;

export interface Block {
  header: BlockHeader;
  txs: Tx[];
}

export function encodeBlock(b: Block): Uint8Array {
  // Decoded txs carry their bytes: the block is assembled by copying, not re-encoded field by field.
  const parts = b.txs.map(txBytes);
  const out = new Uint8Array(HEADER_BYTES + 4 + parts.reduce((n, p) => n + 2 + p.length, 0));
  const view = new DataView(out.buffer);
  out.set(encodeHeader(b.header), 0);
  view.setUint32(HEADER_BYTES, parts.length);
  let pos = HEADER_BYTES + 4;
  for (const p of parts) {
    if (p.length > 0xffff) throw new RangeError(`expected an encoded tx of at most 65535 bytes, got ${p.length}`);
    view.setUint16(pos, p.length);
    out.set(p, pos + 2);
    pos += 2 + p.length;
  }
  return out;
}

/**
 * The block decoded from one copy of `bytes`: its txs are views into that copy (one allocation per
 * block, not one per tx), so they pin the block's own bytes (its size, at most maxBlockBytes) and
 * never the caller's buffer (a socket frame, a LevelDB value), which may be reused or larger.
 */
export function decodeBlock(bytes: Uint8Array): Block {
  if (bytes.length > MAX_BLOCK_BYTES_HARD) throw new DecodeError('oversize', `block: expected at most ${MAX_BLOCK_BYTES_HARD} bytes, got ${bytes.length}`);
  const own = new Uint8Array(bytes);
  const r = new ByteReader(own, 'block');
  const header = readHeader(r);
  const count = r.u32();
  // Cheap bound before allocating: every tx costs at least its prefix plus a minimal body.
  if (count > r.remaining / (2 + MIN_TX_BYTES)) throw new DecodeError('bad-length', `block: ${count} txs cannot fit in ${r.remaining} bytes`);
  const txs: Tx[] = new Array(count);
  for (let i = 0; i < count; i++) txs[i] = readOwnedTx(r, r.u16Len(MAX_TX_BYTES));
  r.end();
  const block: Block = { header, txs };
  const decoded: Decoded = { bytes: own, header, version: header.version, height: header.height, timestamp: header.timestamp, nonce: header.nonce, txs: txs.slice() };
  Object.defineProperty(block, DECODED, { value: decoded });
  return block;
}

/**
 * The bytes a block was decoded from, while its header fields and tx list are still those decoded
 * (a Block is a plain mutable object: tests and the miner change headers and txs in place). Kept in
 * a non-enumerable slot on the block itself (spreads, clones and deep-equality never see it), not
 * in a WeakMap: a WeakMap entry makes V8's young-generation GC keep the entry's value (the block's
 * bytes and every decoded tx) alive until a full GC, so every synced block was copied and promoted
 * instead of dying young (measured: decodeBlock 4.9 -> 0.8 us per tx).
 */
const DECODED = Symbol('decoded');
type WithDecoded = { readonly [DECODED]?: Decoded };
interface Decoded {
  bytes: Uint8Array;
  header: BlockHeader;
  version: number;
  height: number;
  timestamp: number;
  nonce: number;
  txs: Tx[];
}

/**
 * The canonical bytes of a block, read-only: the decoded copy when nothing changed since decoding
 * (storing a synced block copies nothing), else encodeBlock. Callers that may change the bytes use
 * encodeBlock, which always returns a fresh array.
 */
export function blockBytes(b: Block): Uint8Array {
  const d = (b as WithDecoded)[DECODED];
  return d && unchanged(d, b) ? d.bytes : encodeBlock(b);
}

function unchanged(d: Decoded, b: Block): boolean {
  const h = b.header;
  if (h !== d.header || h.version !== d.version || h.height !== d.height || h.timestamp !== d.timestamp || h.nonce !== d.nonce) return false;
  // The byte fields against the bytes themselves: a field changed in place is caught too.
  if (!equalAt(h.prevHash, d.bytes, PREV_OFFSET) || !equalAt(h.merkleRoot, d.bytes, MERKLE_OFFSET) || !equalAt(h.target, d.bytes, TARGET_OFFSET)) return false;
  return sameTxs(d.txs, b.txs);
}

function equalAt(field: Uint8Array, bytes: Uint8Array, at: number): boolean {
  if (field.length !== 32) return false;
  for (let i = 0; i < 32; i++) if (field[i] !== bytes[at + i]) return false;
  return true;
}

export function blockId(b: Block): Uint8Array {
  return headerId(b.header);
}

export function blockIdHex(b: Block): string {
  return toHex(headerId(b.header));
}

// A body is checked against its header's root when it arrives (sync) and again by the block rules:
// the root of the same txs is computed once. The cache holds the tx objects it was computed over
// and answers only if the array still holds exactly those (a pushed, dropped or swapped tx misses).
// It sits in a non-enumerable slot on the array itself, not in a WeakMap (see DECODED: a WeakMap
// entry would keep every tx alive through young-generation GCs).
const ROOT = Symbol('merkle-root');
type WithRoot = { [ROOT]?: { txs: Tx[]; root: Uint8Array } };

export function blockMerkleRoot(txs: Tx[]): Uint8Array {
  const hit = (txs as WithRoot)[ROOT];
  if (hit && sameTxs(hit.txs, txs)) return hit.root.slice();
  const root = merkleRoot(txs.map(txId));
  const memo = { txs: txs.slice(), root: root.slice() };
  if (hit) (txs as WithRoot)[ROOT] = memo;
  else if (Object.isExtensible(txs)) Object.defineProperty(txs, ROOT, { value: memo, writable: true });
  return root;
}

function sameTxs(a: Tx[], b: Tx[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
