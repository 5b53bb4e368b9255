// The inbound connect rate (issue 14 follow-up): a source that connects, handshakes and reconnects
// in a loop gets at most its bucket's worth of handshakes (each one a signature and a verification
// by the listener); the rest are closed at accept. Real sockets on 127.0.0.1 with the local
// exemption turned off, and the bucket itself under an injected clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectRateLimiter } from '../../../src/p2p/index.js';
import { RawPeer, startNet } from './helpers.js';

/**
 * Connects `n` times in a row, each time with a fresh key, and counts the connections on which the
 * listener proved its key (its helloAck: it verified ours and signed the transcript).
 */
async function reconnectLoop(port: number, n: number): Promise<{ proved: number; refused: number }> {
  let proved = 0;
  let refused = 0;
  for (let i = 0; i < n; i++) {
    let raw: RawPeer;
    try {
      raw = await RawPeer.connect(port);
    } catch {
      refused++;
      continue;
    }
    try {
      await Promise.race([raw.next('helloAck', () => true, 10_000), raw.closed]);
      if (raw.messages.some((m) => m.kind === 'helloAck')) proved++;
      else refused++;
    } finally {
      await raw.close();
    }
  }
  return { proved, refused };
}

test('a source reconnecting in a loop gets no handshake work past its budget', async (t) => {
  // A bucket of 3 that refills once every 1,000 s: exactly three handshakes, whatever the machine's speed.
  const net = await startNet({ limits: { limitLocalConnectRate: true, inboundConnectBurst: 3, inboundConnectsPerSecond: 0.001 } });
  t.after(() => net.stop());
  let connected = 0;
  net.on('peer:connected', () => connected++);
  const got = await reconnectLoop(net.port, 12);
  assert.equal(got.proved, 3, 'handshakes served: the bucket, no more');
  assert.equal(got.refused, 9);
  assert.equal(net.stats().connectsThrottled, 9, 'each throttled attempt is counted');
  assert.equal(connected, 3);
});

test('connect rate: loopback is exempt by default, so a local devnet reconnecting is never throttled', async (t) => {
  const net = await startNet({ limits: { inboundConnectBurst: 2, inboundConnectsPerSecond: 0.001 } });
  t.after(() => net.stop());
  const got = await reconnectLoop(net.port, 6);
  assert.equal(got.proved, 6);
  assert.equal(net.stats().connectsThrottled, 0);
});

test('connect rate: a bucket refills with time, and one source being throttled does not touch another', () => {
  let now = 0;
  const rate = new ConnectRateLimiter({ perSecond: 1, burst: 2, maxSources: 100 }, () => now);
  assert.equal(rate.take('203.0.113.0/24'), true);
  assert.equal(rate.take('203.0.113.0/24'), true);
  assert.equal(rate.take('203.0.113.0/24'), false, 'burst spent');
  assert.equal(rate.take('198.51.100.0/24'), true, 'another source has its own bucket');
  now += 999;
  assert.equal(rate.take('203.0.113.0/24'), false, 'not yet a whole token back');
  now += 1;
  assert.equal(rate.take('203.0.113.0/24'), true, 'one token per second');
  assert.equal(rate.refusedCount, 2);
});

test('connect rate: the map of sources is capped, and a source whose bucket refilled is forgotten', () => {
  let now = 0;
  const rate = new ConnectRateLimiter({ perSecond: 1, burst: 4, maxSources: 8 }, () => now);
  for (let i = 0; i < 1_000; i++) rate.take(`10.0.${i >> 8}.${i & 255}`);
  assert.equal(rate.size, 8, 'at most maxSources remembered');
  // Three seconds later every bucket (1 token used of 4) is full again: nothing left worth keeping.
  now += 3_000;
  rate.take('a');
  assert.equal(rate.size, 1, 'refilled sources expire');
  // The most recently seen source survives the cap; the least recently seen is the one forgotten.
  for (let i = 0; i < 4; i++) rate.take('a');
  assert.equal(rate.take('a'), false, 'a is over its burst');
  for (let i = 0; i < 7; i++) rate.take(`b${i}`);
  assert.equal(rate.take('a'), false, 'a is still remembered within the cap');
  for (let i = 7; i < 20; i++) rate.take(`b${i}`);
  assert.equal(rate.size, 8);
});
