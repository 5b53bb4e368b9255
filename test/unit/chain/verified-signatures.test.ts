// VerifiedSignatures: keyed by tx id, bounded, oldest evicted first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VerifiedSignatures } from '../../../src/chain/index.js';
import { transfer, testAddress, testGenesis } from '../../helpers/fixtures.js';

const g = testGenesis();
const tx = (nonce: number, amount = 1n) => transfer('alice', testAddress('bob'), amount, BigInt(nonce), g.id);

test('VerifiedSignatures: a tx with any field changed is a miss; the oldest entry goes when full', () => {
  const v = new VerifiedSignatures(3);
  v.add(tx(0));
  assert.equal(v.has(tx(0)), true);
  assert.equal(v.has({ ...tx(0), amount: 2n }), false); // same signature, other fields
  assert.equal(v.has({ ...tx(0), signature: tx(1).signature }), false);
  v.add(tx(1));
  v.add(tx(2));
  v.add(tx(2)); // no double entry
  assert.equal(v.size, 3);
  v.add(tx(3));
  assert.equal(v.size, 3);
  assert.equal(v.has(tx(0)), false);
  assert.equal(v.has(tx(3)), true);
  assert.throws(() => new VerifiedSignatures(0), /expected max >= 1, got 0/);
});
