// Golden merkle roots under the domain-separated scheme (DESIGN: leaves and inner nodes tagged),
// cross-checked against an independent implementation over node:crypto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { merkleRoot, merkleLeaf, merkleNode, MERKLE_LEAF_TAG, MERKLE_NODE_TAG } from '../../src/core/index.js';
import { sha256, toHex } from '../../src/crypto/index.js';

const ids = [0, 1, 2, 3, 4].map((i) => sha256(new TextEncoder().encode('kadchain-merkle-vector-' + i)));

function tagged(tag: string, ...parts: Uint8Array[]): Uint8Array {
  const t = createHash('sha256').update(tag).digest();
  const h = createHash('sha256').update(t).update(t);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

const GOLDEN: Record<number, string> = {
  1: '5cfb910d450a4d04c8d896d53c256938fe466661c8b1be087cca2958ee27e8a8',
  2: '167499b15c4203929a74f7ce39798797aaab9ee5f29d6d0a897efbef48cce9de',
  3: 'a5be819a8e4b2e4d0aa4eddc2176f6741ee51e9e7541939347cd4d5efa4f93a6',
  4: '484bf56669e8d13e6e4aedefb2ec4c6230efe7c6e188ae185ab7974807db3d7c',
  5: '92e3515905b0a6938eca6b8098875130d5b0a03d8542b033258eed524d247181',
};

test('merkle vectors: pinned roots for 1..5 leaves', () => {
  for (const [n, root] of Object.entries(GOLDEN)) assert.equal(toHex(merkleRoot(ids.slice(0, Number(n)))), root, `${n} leaves`);
  assert.equal(toHex(merkleRoot([])), '00'.repeat(32));
});

test('merkle vectors: leaf and node are BIP-340 style tagged hashes under distinct tags', () => {
  assert.notEqual(MERKLE_LEAF_TAG, MERKLE_NODE_TAG);
  assert.equal(toHex(merkleLeaf(ids[0]!)), toHex(tagged(MERKLE_LEAF_TAG, ids[0]!)));
  assert.equal(toHex(merkleNode(ids[0]!, ids[1]!)), toHex(tagged(MERKLE_NODE_TAG, ids[0]!, ids[1]!)));
  // Independent recomputation of the 5-leaf tree: ((l0 l1) (l2 l3)) l4, the odd node carried up.
  const l = ids.map((id) => tagged(MERKLE_LEAF_TAG, id));
  const n = (a: Uint8Array, b: Uint8Array) => tagged(MERKLE_NODE_TAG, a, b);
  assert.equal(toHex(merkleRoot(ids)), toHex(n(n(n(l[0]!, l[1]!), n(l[2]!, l[3]!)), l[4]!)));
});

test('merkle vectors: a single tx root is its leaf hash, never the raw tx id', () => {
  assert.notEqual(toHex(merkleRoot([ids[0]!])), toHex(ids[0]!));
});

test('merkle vectors: no duplicate-last-leaf ambiguity ([a,b,c] vs [a,b,c,c])', () => {
  assert.notEqual(toHex(merkleRoot(ids.slice(0, 3))), toHex(merkleRoot([...ids.slice(0, 3), ids[2]!])));
});

test('merkle vectors: an inner node cannot pose as a leaf ([N(a,b)] vs [a,b])', () => {
  const inner = merkleNode(merkleLeaf(ids[0]!), merkleLeaf(ids[1]!));
  assert.notEqual(toHex(merkleRoot([inner])), toHex(merkleRoot(ids.slice(0, 2))));
});
