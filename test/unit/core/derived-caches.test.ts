// A block's merkle root and a transfer's sender address are computed once per object and reused by
// sync and the block rules; a cache must never answer for a body that changed under it, and never
// hand out bytes a caller could corrupt for the next caller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressFromPublicKey, blockMerkleRoot, merkleRoot, txId, txSender, type Tx } from '../../../src/core/index.js';
import { toHex } from '../../../src/crypto/index.js';
import { testAddress, testKey, transfer } from '../../helpers/fixtures.js';

const chain = new Uint8Array(32).fill(9);
const txs = (): Tx[] => [0, 1, 2].map((i) => transfer('alice', testAddress('r' + i), 10n, BigInt(i), chain, 1n));
const fresh = (list: Tx[]): string => toHex(merkleRoot(list.map(txId)));

test('merkle root cache: a body swapped, extended or cut in place after its root was computed is hashed again', () => {
  const list = txs();
  const original = toHex(blockMerkleRoot(list));
  assert.equal(original, fresh(list));
  const [a, b] = [list[0]!, list[1]!];
  list[0] = b;
  list[1] = a;
  assert.equal(toHex(blockMerkleRoot(list)), fresh(list));
  assert.notEqual(toHex(blockMerkleRoot(list)), original);
  list.push(transfer('alice', testAddress('r9'), 10n, 9n, chain, 1n));
  assert.equal(toHex(blockMerkleRoot(list)), fresh(list));
  list.length = 1;
  assert.equal(toHex(blockMerkleRoot(list)), fresh(list));
});

test('merkle root cache: a caller that scribbles on the returned root does not change the next answer', () => {
  const list = txs();
  const root = blockMerkleRoot(list);
  const want = toHex(root);
  root.fill(0);
  assert.equal(toHex(blockMerkleRoot(list)), want);
});

test('sender cache: the sender is the address of the signing key, and a scribbled copy does not stick', () => {
  const tx = transfer('bob', testAddress('x'), 1n, 0n, chain, 1n);
  const want = toHex(addressFromPublicKey(testKey('bob').publicKey));
  const s = txSender(tx);
  assert.equal(toHex(s), want);
  s.fill(0);
  assert.equal(toHex(txSender(tx)), want);
});
