// Blocks: header + length-prefixed txs in one canonical encoding, and the merkle root over tx ids.
import { sha256d, toHex } from '../crypto/index.js';
import { ByteReader, ByteWriter } from './codec.js';
import { DecodeError } from './errors.js';
import { HEADER_BYTES, encodeHeader, headerId, readHeader, type BlockHeader } from './header.js';
import { MAX_TX_BYTES, decodeTx, encodeTx, txId, type Tx } from './tx.js';

/** Absolute decoder ceiling, above any genesis' maxBlockBytes; consensus size is checked in chain/. */
export const MAX_BLOCK_BYTES_HARD = 8 * 1024 * 1024;
const MIN_TX_BYTES = 40;

export interface Block {
  header: BlockHeader;
  txs: Tx[];
}

export function encodeBlock(b: Block): Uint8Array {
  const w = new ByteWriter(HEADER_BYTES + 4 + b.txs.length * 180);
  w.fixed(encodeHeader(b.header), HEADER_BYTES);
  w.u32(b.txs.length);
  for (const tx of b.txs) w.varBytes16(encodeTx(tx));
  return w.finish();
}

export function decodeBlock(bytes: Uint8Array): Block {
  if (bytes.length > MAX_BLOCK_BYTES_HARD) throw new DecodeError('oversize', `block: expected at most ${MAX_BLOCK_BYTES_HARD} bytes, got ${bytes.length}`);
  const r = new ByteReader(bytes, 'block');
  const header = readHeader(r);
  const count = r.u32();
  // Cheap bound before allocating: every tx costs at least its prefix plus a minimal body.
  if (count > r.remaining / (2 + MIN_TX_BYTES)) throw new DecodeError('bad-length', `block: ${count} txs cannot fit in ${r.remaining} bytes`);
  const txs: Tx[] = new Array(count);
  for (let i = 0; i < count; i++) txs[i] = decodeTx(r.varBytes16(MAX_TX_BYTES));
  r.end();
  return { header, txs };
}

export function blockId(b: Block): Uint8Array {
  return headerId(b.header);
}

export function blockIdHex(b: Block): string {
  return toHex(headerId(b.header));
}

const NODE_TAG = new Uint8Array([1]);

/**
 * Merkle root over tx ids. An odd node is carried up unchanged rather than paired with itself, and
 * inner nodes are tagged, so two different tx lists never share a root (Bitcoin's CVE-2012-2459).
 */
export function merkleRoot(ids: Uint8Array[]): Uint8Array {
  if (ids.length === 0) return new Uint8Array(32);
  let level = ids;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      if (i + 1 === level.length) next.push(level[i]!);
      else {
        const buf = new Uint8Array(65);
        buf.set(NODE_TAG, 0);
        buf.set(level[i]!, 1);
        buf.set(level[i + 1]!, 33);
        next.push(sha256d(buf));
      }
    }
    level = next;
  }
  return level[0]!;
}

export function blockMerkleRoot(txs: Tx[]): Uint8Array {
  return merkleRoot(txs.map(txId));
}
