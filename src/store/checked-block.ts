// Checked block reads: stored bytes must decode, hash to the id they are stored under and commit to
// their body (merkle root). Anything else is damage, reported as `store-damaged`, never served.
// Bytes written with a body checksum (IndexRecord.bodyCrc) are checked the cheap way: the header
// hashes to the id and the whole bytes still sum to what was written after the body was checked, so
// serving a stored block costs a header hash and a native CRC, not a decode and a merkle root.
// A header record (layout.ts `headers`) is checked the same way as a body's header: it hashes to its id.
import { crc32 } from 'node:zlib';
import { decodeBlock, blockId, blockMerkleRoot, HEADER_BYTES, type Block } from '../core/index.js';
import { bytesEqual, sha256d, toHex } from '../crypto/index.js';
import type { IndexRecord } from './records.js';

/** The checksum kept with stored block bytes. */
export function bodyChecksum(bytes: Uint8Array): number {
  return crc32(bytes);
}

/** Why stored block bytes cannot be trusted, or undefined when they check out (the full check: decode, id, merkle root). */
export function blockBytesProblem(id: Uint8Array, bytes: Uint8Array): string | undefined {
  let block: Block;
  try {
    block = decodeBlock(bytes);
  } catch (e) {
    return `block ${toHex(id)} does not decode (${(e as Error).message})`;
  }
  if (!bytesEqual(blockId(block), id)) return `block stored under ${toHex(id)} hashes to ${toHex(blockId(block))}`;
  if (!bytesEqual(blockMerkleRoot(block.txs), block.header.merkleRoot)) return `block ${toHex(id)} body does not match its merkle root`;
  return undefined;
}

/**
 * As `blockBytesProblem`, the cheap way when the block's index record carries the checksum of the
 * bytes written (the full check otherwise).
 */
export function storedBlockProblem(id: Uint8Array, bytes: Uint8Array, rec: IndexRecord | undefined): string | undefined {
  if (rec?.bodyCrc === undefined) return blockBytesProblem(id, bytes);
  if (bytes.length < HEADER_BYTES) return `block ${toHex(id)} is cut short (${bytes.length} bytes)`;
  const wrongHash = headerHashProblem(id, bytes.subarray(0, HEADER_BYTES), 'block');
  if (wrongHash) return wrongHash;
  if (bytes.length !== rec.size || bodyChecksum(bytes) !== rec.bodyCrc) return `block ${toHex(id)} body does not match the checksum written with it`;
  return undefined;
}

/** Why a stored header record cannot be served as the header of `id`, or undefined: one hash, the record's hash is its id. */
export function headerRecordProblem(id: Uint8Array, record: Uint8Array): string | undefined {
  if (record.length !== HEADER_BYTES) return `header record of ${toHex(id)} is ${record.length} bytes, not ${HEADER_BYTES}`;
  return headerHashProblem(id, record, 'header record');
}

/** The one check both stored forms of a header pass: its hash is the id it is stored under. */
function headerHashProblem(id: Uint8Array, header: Uint8Array, what: string): string | undefined {
  const got = sha256d(header);
  return bytesEqual(got, id) ? undefined : `${what} stored under ${toHex(id)} hashes to ${toHex(got)}`;
}
