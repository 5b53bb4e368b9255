// Token buckets, the one rate limiter behind every per-peer, per-source and per-key budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedTokenBuckets, refill } from '../../../src/core/index.js';

test('refill: tokens come back at the rate, never above the burst, and a clock going back refills nothing', () => {
  const rate = { burst: 4, perSecond: 2 };
  assert.equal(refill({ tokens: 0, at: 1000 }, rate, 1500), 1);
  assert.equal(refill({ tokens: 3, at: 1000 }, rate, 9000), 4);
  assert.equal(refill({ tokens: 1, at: 1000 }, rate, 0), 1);
  assert.equal(refill({ tokens: 0, at: 1000 }, { burst: 3, perSecond: Infinity }, 1000), 3, 'an unlimited rate is always full');
});

test('keyed buckets: take spends only what is there, spend drains to zero, each key has its own bucket', () => {
  const b = new KeyedTokenBuckets({ burst: 2, perSecond: 1 }, 100);
  assert.deepEqual([b.take('a', 0), b.take('a', 0), b.take('a', 0)], [true, true, false]);
  assert.equal(b.take('b', 0), true, 'another key is untouched');
  assert.equal(b.take('a', 0, 0.5), false, 'an empty bucket refuses a fraction too');
  assert.equal(b.take('a', 999), false, 'not yet a whole token back');
  assert.equal(b.take('a', 1000), true);
  b.spend('c', 0, 5);
  assert.equal(b.tokens('c', 0), 0, 'spend never goes below zero');
  assert.equal(b.tokens('never-seen', 0), 2, 'a key not held is full');
});

test('keyed buckets: the map is capped (least recently used first) and a refilled key is forgotten', () => {
  const b = new KeyedTokenBuckets({ burst: 4, perSecond: 1 }, 8);
  for (let i = 0; i < 1_000; i++) b.take(`k${i}`, 0);
  assert.equal(b.size, 8, 'at most the cap');
  // Every bucket (one token used of four) is full after a second: nothing left worth keeping.
  b.take('a', 1_000);
  assert.equal(b.size, 1, 'refilled keys are forgotten');
  for (let i = 0; i < 4; i++) b.take('a', 1_000);
  assert.equal(b.take('a', 1_000), false, 'a is over its burst');
  for (let i = 0; i < 7; i++) b.take(`b${i}`, 1_000);
  assert.equal(b.take('a', 1_000), false, 'a, used again, is still remembered within the cap');
  for (let i = 7; i < 20; i++) b.take(`b${i}`, 1_000);
  assert.equal(b.size, 8);
  assert.equal(b.tokens('a', 1_000), 4, 'past the cap the least recently used key went, and starts full');
});
