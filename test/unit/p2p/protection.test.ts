// Protection with small configured limits: token-bucket rate limit, keep-alive and idle timeout,
// slow readers, oversize frames, the inbound cap, the misbehave/ban API (by id, by host, persisted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeIdFromPublicKey, toHex } from '../../../src/crypto/index.js';
import { CLOSE_CODES, P2PError } from '../../../src/p2p/index.js';
import { MemoryBanStore, RawPeer, connectPair, nextEvent, startNet, stopAll, waitUntil } from './helpers.js';

test('rate limit: a peer within its allowance is fine; a flooding peer is scored and banned', async () => {
  const a = await startNet({ limits: { messagesPerSecond: 5, messageBurst: 5 } });
  try {
    const polite = await RawPeer.ready(a.port); // the handshake ping took one token
    for (let i = 0; i < 3; i++) assert.equal(await polite.roundtrip(), true);
    assert.equal(a.peers()[0]!.score, 0);
    const banned = nextEvent(a, 'peer:banned');
    const flood = await RawPeer.ready(a.port);
    for (let i = 0; i < 40; i++) flood.send({ kind: 'ping', nonce: BigInt(i) });
    assert.deepEqual(await flood.closed, { code: CLOSE_CODES.banned, reason: 'banned' });
    const [ban] = await banned;
    assert.equal(ban.reason, 'rate-limit');
    assert.ok(ban.score >= 100);
    assert.ok(flood.messages.filter((m) => m.kind === 'pong').length <= 5, 'messages over the allowance are dropped');
    assert.equal(polite.isOpen, true);
    await polite.close();
  } finally {
    await a.stop();
  }
});

test('keep-alive: pings every interval; a peer that answers stays, a silent one is dropped at the idle timeout', async () => {
  // The idle timeout is many ping intervals long, so a loaded machine's event-loop lag does not drop the answering peer.
  const a = await startNet({ limits: { pingIntervalMs: 50, idleTimeoutMs: 1_000 } });
  try {
    const alive = await RawPeer.ready(a.port);
    const silent = await RawPeer.ready(a.port, { autoPong: false });
    const dropped = nextEvent(a, 'peer:disconnected');
    assert.deepEqual(await silent.closed, { code: CLOSE_CODES['idle-timeout'], reason: 'idle-timeout' });
    const [, reason] = await dropped;
    assert.equal(reason, 'idle-timeout');
    // 30 pings at 50 ms span more than the idle timeout: answering keeps the peer.
    await waitUntil('30 pings answered', () => alive.pingsReceived >= 30);
    assert.equal(alive.isOpen, true);
    assert.equal(a.peers().length, 1);
    await alive.close();
  } finally {
    await a.stop();
  }
});

test('keep-alive between two networks: both stay up past the idle timeout and measure latency', async () => {
  const limits = { pingIntervalMs: 40, idleTimeoutMs: 200 };
  const { a, b, ab, ba } = await connectPair({ limits }, { limits });
  try {
    const started = Date.now();
    await waitUntil('latency measured and 2 idle periods passed', () => ab.latencyMs !== undefined && ba.latencyMs !== undefined && Date.now() - started > 400);
    assert.equal(a.peers().length, 1);
    assert.equal(b.peers().length, 1);
  } finally {
    await stopAll(a, b);
  }
});

test('slow reader: a peer whose send buffer stays above the bound is dropped', async () => {
  const bound = 256 * 1024;
  const a = await startNet({ limits: { maxBufferedBytes: bound, slowReaderMs: 100 } });
  try {
    const c = await RawPeer.ready(a.port);
    const peer = a.peers()[0]!;
    c.pauseReading();
    const dropped = nextEvent(a, 'peer:disconnected');
    // Fill kernel buffers until our own send buffer is over the bound (bounded loop), then stop.
    const chunk = new Uint8Array(64 * 1024);
    for (let i = 0; i < 1_000 && peer.connected && peer.ws.bufferedAmount <= bound; i++) {
      chunk[0] = i & 0xff;
      chunk[1] = i >> 8;
      a.send(peer, { kind: 'block', bytes: chunk });
      if (i % 16 === 15) await new Promise((r) => setImmediate(r));
    }
    assert.ok(peer.ws.bufferedAmount > bound || !peer.connected, 'the buffer filled up');
    const [, reason] = await dropped;
    assert.equal(reason, 'slow-reader');
    await c.close();
  } finally {
    await a.stop();
  }
});

test('oversize: a frame over maxPayload closes the socket (1009) and bans the sender', async () => {
  const a = await startNet({ limits: { maxPayload: 2048 } });
  try {
    const c = await RawPeer.ready(a.port);
    const banned = nextEvent(a, 'peer:banned');
    c.sendRaw(new Uint8Array(4096));
    assert.equal((await c.closed).code, 1009);
    const [ban] = await banned;
    assert.equal(ban.reason, 'oversize');
    assert.equal(ban.key, `id:${ban.id}`);
  } finally {
    await a.stop();
  }
});

test('inbound cap: when every established peer is protected a newcomer is refused with a reason; a freed slot is reusable', async () => {
  // Fast pings measure every peer's latency, and the lowest-latency peers are protected from eviction.
  const a = await startNet({ limits: { maxInbound: 2, pingIntervalMs: 50 } });
  try {
    const c1 = await RawPeer.ready(a.port);
    const c2 = await RawPeer.ready(a.port);
    await waitUntil('latency measured', () => a.peers().every((p) => p.latencyMs !== undefined));
    const c3 = await RawPeer.connect(a.port);
    assert.deepEqual(await c3.closed, { code: CLOSE_CODES['too-many-peers'], reason: 'too-many-peers' });
    await c1.close();
    await waitUntil('slot freed', () => a.stats().inbound === 1);
    const c4 = await RawPeer.ready(a.port);
    assert.equal(a.peers().length, 2);
    await Promise.all([c2.close(), c4.close()]);
  } finally {
    await a.stop();
  }
});

test('inbound eviction: a new authenticated peer takes the slot of the youngest unprotected one; the longest-connected stays', async () => {
  const a = await startNet({ limits: { maxInbound: 2 } });
  try {
    const c1 = await RawPeer.ready(a.port);
    const c2 = await RawPeer.ready(a.port);
    const c3 = await RawPeer.ready(a.port);
    assert.deepEqual(await c2.closed, { code: CLOSE_CODES.evicted, reason: 'evicted' });
    assert.equal(c1.isOpen, true, 'the longest-connected peer is protected');
    assert.equal(await c3.roundtrip(), true);
    assert.equal(a.peers().length, 2);
    await Promise.all([c1.close(), c3.close()]);
  } finally {
    await a.stop();
  }
});

test('misbehave: at 100 points the peer is dropped and its id banned (persisted); late verdicts and past scores count', async () => {
  const bans = new MemoryBanStore();
  const { a, b, ab, ba } = await connectPair({}, { banStore: bans });
  let c: Awaited<ReturnType<typeof startNet>> | undefined;
  try {
    const gone = nextEvent(a, 'peer:disconnected');
    const banned = nextEvent(b, 'peer:banned');
    b.misbehave(ba, 60, 'invalid-tx');
    assert.equal(b.peers().length, 1, '60 points: still connected');
    b.misbehave(ba, 40, 'invalid-block');
    const [ban] = await banned;
    assert.deepEqual({ key: ban.key, reason: ban.reason, score: ban.score }, { key: `id:${a.nodeId}`, reason: 'invalid-block', score: 100 });
    assert.equal((await gone)[1], 'banned', 'the banned side is told why');
    assert.ok(ban.until - Date.now() > 23 * 3600 * 1000, 'banned for 24 h');
    await b.stop(); // flushes the BanStore
    assert.equal(bans.rows.get(`id:${a.nodeId}`), ban.until);
    // A restarted network with the same store still refuses that id; loopback hosts stay usable.
    await b.start();
    await assert.rejects(a.dial('127.0.0.1', b.port), (e: unknown) => e instanceof P2PError && e.reason === 'banned');
    c = await startNet();
    const cb = await c.dial('127.0.0.1', b.port);
    const [bc] = b.peers();
    // A verdict that arrives after the peer left still bans it.
    const left = Promise.all([nextEvent(b, 'peer:disconnected'), nextEvent(c, 'peer:disconnected')]);
    b.disconnect(bc!, 'test');
    await left;
    b.misbehave(bc!, 40, 'slow verdict');
    const back = await c.dial('127.0.0.1', b.port);
    await waitUntil('b sees c again', () => b.peers().length === 1);
    assert.equal(b.peers()[0]!.score, 40, 'reconnecting does not wipe a score');
    b.misbehave(b.peers()[0]!, 100, 'invalid-block');
    await waitUntil('banned', () => b.isBanned(`id:${c!.nodeId}`));
    void cb;
    void back;
    void ab;
  } finally {
    await stopAll(a, b, c);
  }
});

test('host bans: with banLoopbackHosts a banned address is refused on connect and never dialled, across restarts', async () => {
  const bans = new MemoryBanStore();
  const limits = { banLoopbackHosts: true };
  let a = await startNet({ banStore: bans, limits });
  try {
    const bad = await RawPeer.ready(a.port);
    for (let i = 0; i < 5; i++) bad.sendRaw(Uint8Array.from([1, 0xee, i])); // unknown type: malformed, 20 points each
    assert.deepEqual(await bad.closed, { code: CLOSE_CODES.banned, reason: 'banned' });
    await waitUntil('both bans', () => a.isBanned('ip:127.0.0.1') && a.bannedList().length === 2);
    // Any new connection from that host is refused at once, whatever key it uses.
    const refused = nextEvent(a, 'peer:refused');
    const fresh = await RawPeer.connect(a.port);
    assert.deepEqual(await fresh.closed, { code: CLOSE_CODES.banned, reason: 'banned' });
    assert.equal((await refused)[0].reason, 'banned');
    // And we never dial it.
    await assert.rejects(a.dial('127.0.0.1', 1), (e: unknown) => e instanceof P2PError && e.reason === 'banned');
    await a.stop();
    assert.deepEqual([...bans.rows.keys()].sort(), [`id:${toHex(nodeIdFromPublicKey(bad.key.publicKey))}`, 'ip:127.0.0.1']);
    a = await startNet({ banStore: bans, limits });
    const again = await RawPeer.connect(a.port);
    assert.equal((await again.closed).reason, 'banned', 'the ban survives a restart');
  } finally {
    await a.stop();
  }
});
