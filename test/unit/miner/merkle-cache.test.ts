// The template's incremental merkle root must equal core's merkleRoot for every list, whatever the
// previous list was (longer, shorter, same with a new coinbase, an insertion in the middle).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IncrementalMerkle } from '../../../src/miner/index.js';
import { merkleRoot } from '../../../src/core/index.js';
import { sha256d, toHex } from '../../../src/crypto/index.js';

const id = (n: number): Uint8Array => sha256d(Uint8Array.of(n & 0xff, n >> 8));

test('incremental merkle hashes exactly as core merkleRoot (else templates would fall back to full rebuilds)', () => {
  assert.equal(IncrementalMerkle.compatible, true);
});

test('incremental merkle root equals core merkleRoot across successive templates', () => {
  fc.assert(fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 40 }), { minLength: 1, maxLength: 8 }), (lists) => {
    const m = new IncrementalMerkle();
    for (const l of lists) {
      const ids = l.map(id);
      assert.equal(toHex(m.root(ids)), toHex(merkleRoot(ids)));
    }
  }), { seed: 17, numRuns: 400 });
});

test('a new coinbase over the same transactions costs log2(n) hashes, not n', () => {
  const m = new IncrementalMerkle();
  const txs = Array.from({ length: 5000 }, (_, i) => id(i + 1));
  m.root([id(60_000), ...txs]);
  assert.ok(m.lastHashes >= 5000);
  const again = [id(60_001), ...txs];
  assert.equal(toHex(m.root(again)), toHex(merkleRoot(again)));
  // The left path, plus the last node or two of each level (kept conservative where lengths may change).
  assert.ok(m.lastHashes <= 2 * 13 + 2, `hashed ${m.lastHashes}`);
});
