// The window's per-peer estimates, fed the deliveries of two honest peers: one nearby but busy
// (a 16-deep queue served one body at a time), one idle but far away. One smoothed response time
// (queue included) times the queue again ranked the busy one 3x behind the far one; latency and
// service time kept apart rank them as they will really answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedMs, newPeerLoad, noteDelivery, noteLagging, noteOvertaken, INITIAL_LIMIT } from '../../../src/sync/peer-load.js';

const CAP = 14;

test('a busy fast peer looked slower than an idle slow one (response time times queue): latency and service time rank them as they answer', () => {
  const busy = newPeerLoad();
  // 16 requests at t=0, served in order, 20 ms each.
  for (let k = 0; k < 16; k++) noteDelivery(busy, 0, k, 20 * (k + 1), CAP);
  const far = newPeerLoad();
  noteDelivery(far, 0, 0, 1_000, CAP);

  assert.ok(Math.abs(busy.serviceMs - 20) < 1, `service time of the busy peer is its 20 ms per body (got ${busy.serviceMs})`);
  assert.ok(busy.latencyMs < 40, `its latency is one body, not its queue (got ${busy.latencyMs})`);
  assert.equal(far.latencyMs, 1_000);
  // A new request behind the busy peer's full queue still comes well before the far peer's.
  assert.ok(expectedMs(busy, 16) < expectedMs(far, 0) / 2, `${expectedMs(busy, 16)} vs ${expectedMs(far, 0)}`);
  // What the single smoothed response time (queue included) times the queue said instead.
  assert.ok((16 + 1) * busy.ewmaMs > (0 + 1) * far.ewmaMs, 'the old ranking put the busy peer behind');
});

test('in-flight limit: grows by delivery up to what keeps the peer busy over its latency, halves when the peer lags, never below one', () => {
  const l = newPeerLoad();
  assert.equal(l.limit, INITIAL_LIMIT);
  // 16 requests at t=0; the first body after 100 ms, then one every 10 ms: ten in flight cover
  // its latency, two more keep it busy.
  for (let k = 0; k < 16; k++) noteDelivery(l, 0, k, 100 + 10 * k, CAP);
  assert.ok(Math.abs(l.latencyMs - 100) < 1 && Math.abs(l.serviceMs - 10) < 1, `latency ${l.latencyMs}, service ${l.serviceMs}`);
  assert.equal(l.limit, 12);
  // A peer that answers each body at once: more in flight would only queue.
  const near = newPeerLoad();
  for (let k = 0; k < 40; k++) noteDelivery(near, 10 * k, 0, 10 * k + 10, CAP);
  assert.equal(near.limit, INITIAL_LIMIT, 'a peer that answers at once is kept shallow');
  for (let k = 0; k < 5; k++) noteLagging(l);
  assert.equal(l.limit, 1, 'halved for each request taken away, never below one');
});

test('cold fast peer starved: a peer whose requests move to a peer expected sooner loses one slot per move, not half its limit; only a stall halves it', () => {
  const cold = newPeerLoad();
  noteOvertaken(cold);
  noteOvertaken(cold);
  assert.equal(cold.limit, INITIAL_LIMIT - 2, 'two moves cost two slots (halving left it one: a tenth of a short sync)');
  const stalled = newPeerLoad();
  noteLagging(stalled);
  assert.equal(stalled.limit, INITIAL_LIMIT / 2, 'a stall halves');
  for (let k = 0; k < 10; k++) noteOvertaken(cold);
  assert.equal(cold.limit, 1, 'never below one');
});
