// VerifiedSignatures: keyed by tx id, bounded, oldest evicted first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VerifiedSignatures } from '../../../src/chain/index.js';
import fc from 'fast-check';
import type { TransferTx } from '../../../src/core/index.js';
import { transfer, testAddress, testGenesis } from '../../helpers/fixtures.js';
import { fcOptions } from '../../helpers/seed.js';

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

test('VerifiedSignatures table: any sequence of adds and lookups answers as a first-in-first-out set of ids would (evictions and probe runs included)', () => {
  // Txs that differ in their signature bytes only (ids differ; nothing here verifies them).
  const base = tx(0);
  const universe = Array.from({ length: 40 }, (_, i) => ({ ...base, signature: Uint8Array.from({ length: 64 }, (_, j) => (i * 31 + j * 7) & 0xff) }) as TransferTx);
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 12 }), fc.array(fc.tuple(fc.boolean(), fc.nat({ max: universe.length - 1 })), { maxLength: 300 }), (max, ops) => {
      const v = new VerifiedSignatures(max);
      const model: number[] = []; // oldest first
      for (const [isAdd, i] of ops) {
        if (isAdd) {
          v.add(universe[i]!);
          if (!model.includes(i)) {
            if (model.length === max) model.shift();
            model.push(i);
          }
        }
        assert.equal(v.size, model.length);
        for (let k = 0; k < universe.length; k++) assert.equal(v.has(universe[k]!), model.includes(k), `tx ${k} after ${model.join(',')}`);
      }
    }),
    fcOptions(1411, 200),
  );
});
