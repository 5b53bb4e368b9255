// The shared binary heap: any interleaving of pushes and pops gives what a sorted list would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fcOptions } from '../../helpers/seed.js';
import { BinaryHeap } from '../../../src/core/index.js';

test('a binary heap pops in `before` order under any interleaving of pushes, pops and clears', () => {
  const op = fc.oneof(fc.integer({ min: -50, max: 50 }).map((n) => ({ push: n })), fc.constant({ pop: true }), fc.constant({ clear: true }));
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const heap = new BinaryHeap<number>((x, y) => x < y);
      let model: number[] = [];
      for (const o of ops) {
        if ('push' in o) {
          heap.push(o.push);
          model.push(o.push);
        } else if ('pop' in o) {
          model.sort((a, b) => a - b);
          assert.equal(heap.peek(), model[0]);
          assert.equal(heap.pop(), model.shift());
        } else {
          heap.clear();
          model = [];
        }
        assert.equal(heap.size, model.length);
      }
    }),
    fcOptions(31, 300),
  );
});
