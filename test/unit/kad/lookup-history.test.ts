// The kad layer's lookup history: bounded (the oldest lookup and rounds past the cap are dropped,
// totals keep counting), and each round records asked/replied/failed and the closest reply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LookupHistory, LOOKUP_HISTORY_SIZE } from '../../../src/kad/index.js';
import { LookupTrace, LOOKUP_ROUNDS_KEPT } from '../../../src/kad/lookup-history.js';

const target = new Uint8Array(32);
const idWithPrefix = (bits: number): Uint8Array => {
  const id = new Uint8Array(32);
  // Shares exactly `bits` leading zero bits with the all-zero target.
  id[bits >> 3] = 0x80 >> (bits & 7);
  return id;
};

test('lookup history: rounds record asks, replies, failures and the closest reply', () => {
  const t = new LookupTrace(target, 'find-node', 1000);
  t.asked(1);
  t.asked(1);
  t.answered(1, idWithPrefix(3));
  t.answered(1, undefined);
  t.asked(2);
  t.answered(2, idWithPrefix(9));
  const r = t.finish(1250, [idWithPrefix(9), idWithPrefix(3)], 4);
  assert.deepEqual(r.rounds, [
    { round: 1, asked: 2, replied: 1, failed: 1, bestPrefixBits: 3 },
    { round: 2, asked: 1, replied: 1, failed: 0, bestPrefixBits: 9 },
  ]);
  assert.equal(r.durationMs, 250);
  assert.equal(r.bestPrefixBits, 9);
  assert.equal(r.found, 2);
});

test('lookup history: bounded in lookups and in rounds per lookup', () => {
  const h = new LookupHistory();
  for (let i = 0; i < LOOKUP_HISTORY_SIZE + 10; i++) {
    const t = new LookupTrace(target, 'find-node', i);
    for (let r = 1; r <= LOOKUP_ROUNDS_KEPT + 5; r++) t.asked(r);
    h.add(t.finish(i, [], 0));
  }
  const list = h.list();
  assert.equal(list.length, LOOKUP_HISTORY_SIZE);
  assert.equal(list[0]!.startedAt, LOOKUP_HISTORY_SIZE + 9, 'newest first');
  assert.equal(list[0]!.rounds.length, LOOKUP_ROUNDS_KEPT);
  assert.equal(h.totals().lookups, LOOKUP_HISTORY_SIZE + 10);
});
