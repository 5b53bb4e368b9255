// Blocks: header + length-prefixed txs in one canonical encoding, and the block's merkle root (merkle.ts).
import { toHex } from '../crypto/index.js';
import { ByteReader } from './codec.js';
import { DecodeError } from './errors.js';
import { HEADER_BYTES, encodeHeader, headerId, readHeader, type BlockHeader } from './header.js';
import { MAX_TX_BYTES, decodeOwnedTx, txBytes, txId, type Tx } from './tx.js';
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

export function decodeBlock(bytes: Uint8Array): Block {
  if (bytes.length > MAX_BLOCK_BYTES_HARD) throw new DecodeError('oversize', `block: expected at most ${MAX_BLOCK_BYTES_HARD} bytes, got ${bytes.length}`);
  const r = new ByteReader(bytes, 'block');
  const header = readHeader(r);
  const count = r.u32();
  // Cheap bound before allocating: every tx costs at least its prefix plus a minimal body.
  if (count > r.remaining / (2 + MIN_TX_BYTES)) throw new DecodeError('bad-length', `block: ${count} txs cannot fit in ${r.remaining} bytes`);
  const txs: Tx[] = new Array(count);
  // varBytes16 copies: each tx owns its bytes (decodeOwnedTx).
  for (let i = 0; i < count; i++) txs[i] = decodeOwnedTx(r.varBytes16(MAX_TX_BYTES));
  r.end();
  return { header, txs };
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
const rootCache = new WeakMap<Tx[], { txs: Tx[]; root: Uint8Array }>();

export function blockMerkleRoot(txs: Tx[]): Uint8Array {
  const hit = rootCache.get(txs);
  if (hit && hit.txs.length === txs.length && hit.txs.every((t, i) => t === txs[i])) return hit.root.slice();
  const root = merkleRoot(txs.map(txId));
  rootCache.set(txs, { txs: [...txs], root: root.slice() });
  return root;
}
