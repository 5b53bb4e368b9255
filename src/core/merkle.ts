// The merkle root over transaction ids. Leaves and inner nodes are hashed under distinct BIP-340
// style tags, so no transaction encoding (nor any leaf) can stand in for an inner node: a body can
// never be swapped for another with the same root (the CVE-2012-2459 / 64-byte-tx family).
import { sha256, Sha256Midstate } from '../crypto/index.js';

const enc = new TextEncoder();

/** sha256(tag) twice: the 64-byte prefix of a tagged hash (one SHA-256 block, no tx can start so). */
function tagPrefix(tag: string): Uint8Array {
  const t = sha256(enc.encode(tag));
  const p = new Uint8Array(64);
  p.set(t, 0);
  p.set(t, 32);
  return p;
}

export const MERKLE_LEAF_TAG = 'kadchain/merkle-leaf';
export const MERKLE_NODE_TAG = 'kadchain/merkle-node';
// The 64-byte tag prefix is one whole SHA-256 block: absorbed once, each hash starts after it.
const LEAF = new Sha256Midstate(tagPrefix(MERKLE_LEAF_TAG));
const NODE = new Sha256Midstate(tagPrefix(MERKLE_NODE_TAG));

/** Leaf hash of one tx id: sha256(sha256(leafTag) || sha256(leafTag) || txid). */
export function merkleLeaf(txid: Uint8Array): Uint8Array {
  return LEAF.hash(txid);
}

/** Inner node: sha256(sha256(nodeTag) || sha256(nodeTag) || left || right). */
export function merkleNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  return NODE.hash(left, right);
}

/**
 * Merkle root over tx ids; all zeros for none. An odd node is carried up unchanged rather than
 * paired with itself, so [a, b, c] and [a, b, c, c] differ (the duplicate-last-leaf ambiguity).
 */
export function merkleRoot(ids: Uint8Array[]): Uint8Array {
  const n = ids.length;
  if (n === 0) return new Uint8Array(32);
  // Every level in one buffer, 32 bytes a node: a level's node j (from nodes 2j and 2j+1 below,
  // read before it is written) overwrites the front of the level below. No array per hash.
  const level = new Uint8Array(n * 32);
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    if (id.length !== 32) throw new RangeError(`merkle: expected 32-byte ids, got ${id.length} bytes`);
    LEAF.hashInto(id, 0, 32, level, 32 * i);
  }
  for (let m = n; m > 1; m = (m + 1) >> 1) {
    for (let i = 0; i < m; i += 2) {
      if (i + 1 === m) level.copyWithin(16 * i, 32 * i, 32 * i + 32);
      else NODE.hashInto(level, 32 * i, 64, level, 16 * i);
    }
  }
  return level.slice(0, 32);
}
