// Checked block reads: stored bytes must decode, hash to the id they are stored under and commit to
// their body (merkle root). Anything else is damage, reported as `store-damaged`, never served.
import { decodeBlock, blockId, blockMerkleRoot, type Block } from '../core/index.js';
import { bytesEqual, toHex } from '../crypto/index.js';

/** Why stored block bytes cannot be trusted, or undefined when they check out. */
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
