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
  if (ids.length === 0) return new Uint8Array(32);
  // One array for every level: each level's nodes overwrite the front of the one below.
  const level = ids.map(merkleLeaf);
  for (let n = level.length; n > 1; n = (n + 1) >> 1) {
    for (let i = 0; i < n; i += 2) level[i >> 1] = i + 1 === n ? level[i]! : merkleNode(level[i]!, level[i + 1]!);
  }
  return level[0]!;
}
