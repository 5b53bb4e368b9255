// Wall-clock steps seen by the p2p layer. Keep-alive, request timeouts, misbehaviour decay and the
// message-rate bucket measure durations; a step of `Date.now()` (NTP, suspend, an operator) must
// neither expire them all at once nor freeze them. Real networks and raw peers on 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { CLOSE_CODES, type Peer } from '../../../src/p2p/index.js';
import { nodeIdFromPublicKey, toHex } from '../../../src/crypto/index.js';
import { HOUR_MS, stepWallClock } from '../../helpers/wall-clock.js';
import { RawPeer, connectPair, nextEvent, startNet, stopAll, waitUntil } from './helpers.js';

const ITEM = { type: 'block' as const, id: new Uint8Array(32).fill(0x5a) };

test('wall clock steps forward an hour: honest peers are not dropped as idle and their requests do not expire', async (t) => {
  // Generous timeouts: nothing here may fire unless the step fakes an hour of silence.
  const limits = { pingIntervalMs: 50, idleTimeoutMs: 10_000, requestTimeoutMs: 10_000 };
  const { a, b, ab } = await connectPair({ limits }, { limits });
  t.after(() => stopAll(a, b));
  const drops: string[] = [];
  const expired: Peer[] = [];
  a.on('peer:disconnected', (_p, reason) => drops.push(reason));
  a.on('request:expired', (p) => expired.push(p));
  // B's network layer answers no getdata by itself: the request stays in flight.
  assert.deepEqual(a.request(ab, [ITEM]).sent.length, 1);
  stepWallClock(t, HOUR_MS);
  // A keep-alive round trip measured after the step proves the tick (idle check, expiry) ran since.
  ab.latencyMs = undefined;
  await waitUntil('a keep-alive round trip after the step, or a drop', () => ab.latencyMs !== undefined || drops.length > 0, 15_000);
  assert.deepEqual(drops, [], 'no honest peer dropped');
  assert.deepEqual(expired, [], 'no request expired');
  assert.equal(ab.inflight.size, 1);
  assert.equal(a.peers().length, 1);
});

test('wall clock steps back an hour: a silent peer is still closed by keep-alive', async (t) => {
  const a = await startNet({ limits: { pingIntervalMs: 50, idleTimeoutMs: 500 } });
  t.after(() => stopAll(a));
  const silent = await RawPeer.ready(a.port, { autoPong: false });
  t.after(() => silent.close());
  stepWallClock(t, -HOUR_MS);
  const [, reason] = await nextEvent(a, 'peer:disconnected', () => true, 15_000);
  assert.equal(reason, 'idle-timeout');
  assert.deepEqual(await silent.closed, { code: CLOSE_CODES['idle-timeout'], reason: 'idle-timeout' });
});

test('wall clock steps back an hour: an unanswered request still expires', async (t) => {
  const a = await startNet({ limits: { pingIntervalMs: 50, idleTimeoutMs: 60_000, requestTimeoutMs: 300 } });
  t.after(() => stopAll(a));
  const raw = await RawPeer.ready(a.port);
  t.after(() => raw.close());
  const peer = a.peers()[0]!;
  const gone = nextEvent(a, 'request:expired', () => true, 15_000);
  assert.equal(a.request(peer, [ITEM]).sent.length, 1);
  await raw.next('getdata');
  stepWallClock(t, -HOUR_MS);
  const [p, items] = await gone;
  assert.equal(p, peer);
  assert.deepEqual(items.map((i) => Buffer.from(i.id).toString('hex')), [Buffer.from(ITEM.id).toString('hex')]);
  assert.equal(peer.inflight.size, 0);
});

test('wall clock steps back an hour: a peer\'s misbehaviour score still decays', async (t) => {
  const limits = { scoreHalfLifeMs: 100 };
  const { a, b, ab } = await connectPair({ limits }, { limits });
  t.after(() => stopAll(a, b));
  a.misbehave(ab, 60, 'test');
  stepWallClock(t, -HOUR_MS);
  // Eight half-lives bring 60 points under 1; frozen, it stays at 60 for an hour.
  await waitUntil('the score decayed', () => ab.scoreNow() < 0.5, 15_000);
  assert.equal(ab.score, 0);
});

test('wall clock steps forward an hour: a peer\'s misbehaviour score is not forgiven', async (t) => {
  const { a, b, ab } = await connectPair(); // default half-life: 10 minutes
  t.after(() => stopAll(a, b));
  a.misbehave(ab, 60, 'test');
  stepWallClock(t, HOUR_MS);
  // Six half-lives of the wall clock would leave ~1 point; on the real clock barely any time passed.
  assert.ok(ab.scoreNow() > 59, `score ${ab.scoreNow()}`);
  const banned = nextEvent(a, 'peer:banned', () => true, 15_000);
  a.misbehave(ab, 40, 'test');
  assert.equal((await banned)[0].reason, 'test');
});

test('wall clock steps forward an hour: a flooding peer gets no fresh message budget', async (t) => {
  const a = await startNet({ limits: { messagesPerSecond: 0.001, messageBurst: 5, pingIntervalMs: 60_000 } });
  t.after(() => stopAll(a));
  const raw = await RawPeer.ready(a.port); // the handshake ping took one token
  t.after(() => raw.close());
  const peer = a.peers()[0]!;
  for (let i = 0; i < 4; i++) assert.equal(await raw.roundtrip(), true);
  // Spent: the next frame is over the allowance whatever the wall clock says.
  stepWallClock(t, HOUR_MS);
  raw.send({ kind: 'ping', nonce: 1n });
  await waitUntil('the over-budget frame charged', () => peer.scoreNow() > 0, 15_000);
  assert.equal(raw.messages.filter((m) => m.kind === 'pong' && m.nonce === 1n).length, 0);
});

test('wall clock steps back an hour: a failed dial candidate is tried again after its backoff', async (t) => {
  // A TCP listener that drops every connection: each dial fails and is counted.
  let attempts = 0;
  const server = createServer((s) => {
    attempts++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const a = await startNet({ limits: { dialIntervalMs: 30, backoffBaseMs: 50, backoffMaxMs: 100 } });
  t.after(() => stopAll(a));
  const refused = nextEvent(a, 'peer:refused', () => true, 15_000);
  a.addCandidate({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
  await refused;
  // After the failure's bookkeeping (promise callbacks) and before the next try (a backoff away).
  await new Promise<void>((r) => setImmediate(r));
  stepWallClock(t, -HOUR_MS);
  const before = attempts;
  // Backoffs of at most 100 ms: frozen by the step, the next try would be an hour away.
  await waitUntil('dialled again', () => attempts >= before + 2, 15_000);
});

test('wall clock steps back an hour: inbound eviction still keeps the longest-connected peer and evicts the newest', async (t) => {
  // Two slots, no latency measured yet (so none is protected for it): the longer-connected half
  // is protected, the newest of the rest makes room. Before: ordered by wall-clock connect times,
  // the peer that connected after the step looked an hour older and the old one was evicted.
  const a = await startNet({ limits: { maxInbound: 2 } });
  try {
    const old = await RawPeer.ready(a.port);
    stepWallClock(t, -HOUR_MS);
    const young = await RawPeer.ready(a.port);
    const evicted = nextEvent(a, 'peer:disconnected', (_p, reason) => reason === 'evicted');
    const newcomer = await RawPeer.ready(a.port);
    const [gone] = await evicted;
    const idOf = (p: RawPeer): string => toHex(nodeIdFromPublicKey(p.key.publicKey));
    assert.equal(gone.id, idOf(young), gone.id === idOf(old) ? 'the longest-connected peer was evicted' : 'an unexpected peer was evicted');
    assert.equal((await young.closed).reason, 'evicted');
    assert.equal(old.isOpen, true);
    assert.equal(newcomer.isOpen, true);
    await Promise.all([old.close(), newcomer.close()]);
  } finally {
    await a.stop();
  }
});
