// Handshake over real WebSockets on 127.0.0.1: success with proved ids and exchanged tips, and each
// refusal (wrong genesis, bad proof, self, duplicate, version, timeout, junk first) seen by both ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair, nodeIdFromPublicKey, toHex } from '../../../src/crypto/index.js';
import { CLOSE_CODES, P2PError, PROTOCOL_VERSION, encodeMessage, type RefusedEvent } from '../../../src/p2p/index.js';
import { GENESIS_B, RawPeer, TIP, nextEvent, startNet, stopAll, waitUntil } from './helpers.js';

const rejectsWith = async (p: Promise<unknown>, reason: string): Promise<void> => {
  await assert.rejects(p, (e: unknown) => e instanceof P2PError && e.reason === reason);
};

test('handshake: two networks connect, prove their ids and exchange tips', async () => {
  const tipB = { id: new Uint8Array(32).fill(9), height: 42, work: 10n ** 30n };
  const a = await startNet();
  const b = await startNet({ tip: tipB });
  try {
    const atB = nextEvent(b, 'peer:connected');
    const pb = await a.dial('127.0.0.1', b.port);
    const [pa] = await atB;
    assert.equal(pb.id, b.nodeId);
    assert.equal(pa.id, a.nodeId);
    assert.equal(pb.id, toHex(nodeIdFromPublicKey(b.publicKey)), 'the id is SHA-256 of the proved key');
    assert.deepEqual(pb.tip, tipB, 'the dialler learns the listener tip');
    assert.deepEqual(pa.tip, TIP, 'and the other way round');
    assert.equal(pb.direction, 'outbound');
    assert.equal(pa.direction, 'inbound');
    assert.equal(pa.listenPort, a.port, 'an inbound peer advertises its listening port');
    const [info] = a.peerInfos();
    assert.deepEqual(
      { id: info!.id, port: info!.port, direction: info!.direction, height: info!.height, work: info!.work, score: info!.score },
      { id: b.nodeId, port: b.port, direction: 'outbound', height: 42, work: (10n ** 30n).toString(), score: 0 },
    );
    assert.ok(info!.connectedAt <= Date.now());
    assert.equal(await a.dial('127.0.0.1', b.port), pb, 'dialling a connected address gives the same peer');
  } finally {
    await stopAll(a, b);
  }
});

test('wrong-genesis: refused, both sides see the reason', async () => {
  const a = await startNet();
  const b = await startNet({ genesis: GENESIS_B });
  try {
    const refusedAtB = nextEvent(b, 'peer:refused');
    await rejectsWith(a.dial('127.0.0.1', b.port), 'wrong-genesis');
    const [r] = await refusedAtB;
    assert.equal(r.reason, 'wrong-genesis');
    assert.equal(r.direction, 'inbound');
    // A raw client of the other network sees the close code and reason.
    const refusedAtA = nextEvent(a, 'peer:refused');
    const raw = await RawPeer.connect(a.port, { genesis: GENESIS_B });
    assert.deepEqual(await raw.closed, { code: CLOSE_CODES['wrong-genesis'], reason: 'wrong-genesis' });
    assert.equal((await refusedAtA)[0].reason, 'wrong-genesis');
    assert.equal(a.peers().length + b.peers().length, 0);
  } finally {
    await stopAll(a, b);
  }
});

test('bad-proof: a signature by another key than the one claimed is refused', async () => {
  const a = await startNet();
  try {
    const refused = nextEvent(a, 'peer:refused');
    const raw = await RawPeer.connect(a.port, { forgeProof: true });
    assert.deepEqual(await raw.closed, { code: CLOSE_CODES['bad-proof'], reason: 'bad-proof' });
    const [r] = await refused;
    assert.equal(r.reason, 'bad-proof');
    assert.equal(r.id, toHex(nodeIdFromPublicKey(raw.key.publicKey)), 'the claimed id is reported');
    assert.equal(a.peers().length, 0);
  } finally {
    await a.stop();
  }
});

test('self-connection: our own key on the other end is refused; dialling our own port too', async () => {
  const key = generateKeyPair();
  const a = await startNet({ key });
  try {
    const raw = await RawPeer.connect(a.port, { key });
    assert.deepEqual(await raw.closed, { code: CLOSE_CODES['self-connection'], reason: 'self-connection' });
    await rejectsWith(a.dial('127.0.0.1', a.port), 'self-connection');
    assert.equal(await a.connect('localhost', a.port), undefined);
    assert.equal(a.addCandidate({ host: '127.0.0.1', port: a.port }), false, 'never a candidate');
    assert.equal(a.addCandidate({ id: a.nodeId, host: '10.1.2.3', port: 1 }), false);
    // A second network with the same key (e.g. a copied data dir) is refused at the handshake.
    const twin = await startNet({ key });
    try {
      await rejectsWith(twin.dial('127.0.0.1', a.port), 'self-connection');
    } finally {
      await twin.stop();
    }
    assert.equal(a.peers().length, 0);
  } finally {
    await a.stop();
  }
});

test('duplicate: a second connection from the same node id is refused, the first stays', async () => {
  const a = await startNet();
  const key = generateKeyPair();
  try {
    const first = await RawPeer.ready(a.port, { key });
    const second = await RawPeer.connect(a.port, { key });
    assert.deepEqual(await second.closed, { code: CLOSE_CODES.duplicate, reason: 'duplicate' });
    assert.equal(await first.roundtrip(), true, 'the first connection is untouched');
    assert.equal(a.peers().length, 1);
    await first.close();
  } finally {
    await a.stop();
  }
});

test('duplicate: two networks dialling each other at once keep exactly one shared connection', async () => {
  const a = await startNet();
  const b = await startNet();
  try {
    await Promise.allSettled([a.dial('127.0.0.1', b.port), b.dial('127.0.0.1', a.port)]);
    await waitUntil('one connection each way', () => a.peers().length === 1 && b.peers().length === 1 && a.stats().connections === 1 && b.stats().connections === 1);
    const pa = a.peers()[0]!;
    const pb = b.peers()[0]!;
    assert.notEqual(pa.direction, pb.direction, 'both ends hold the same socket');
    // The survivor is the connection dialled by the smaller id (handshake.ts).
    const smaller = a.nodeId < b.nodeId ? a : b;
    assert.equal(smaller.peers()[0]!.direction, 'outbound');
  } finally {
    await stopAll(a, b);
  }
});

test('bad-version: another protocol version is refused by name', async () => {
  const a = await startNet();
  try {
    const raw = await RawPeer.connect(a.port, { version: PROTOCOL_VERSION + 1 });
    assert.deepEqual(await raw.closed, { code: CLOSE_CODES['bad-version'], reason: 'bad-version' });
    // A frame whose envelope carries another version is refused the same way.
    const raw2 = await RawPeer.connect(a.port, { silent: true });
    const ping = encodeMessage({ kind: 'ping', nonce: 1n });
    ping[0] = PROTOCOL_VERSION + 1;
    raw2.sendRaw(ping);
    assert.equal((await raw2.closed).reason, 'bad-version');
  } finally {
    await a.stop();
  }
});

test('handshake-timeout and junk-first: silent or chatty strangers are closed with a reason', async () => {
  const a = await startNet({ limits: { handshakeTimeoutMs: 200 } });
  try {
    const reasons: RefusedEvent[] = [];
    a.on('peer:refused', (r) => reasons.push(r));
    const silent = await RawPeer.connect(a.port, { silent: true });
    assert.deepEqual(await silent.closed, { code: CLOSE_CODES['handshake-timeout'], reason: 'handshake-timeout' });
    const chatty = await RawPeer.connect(a.port, { silent: true });
    chatty.send({ kind: 'inv', items: [] });
    assert.equal((await chatty.closed).reason, 'malformed');
    const texty = await RawPeer.connect(a.port, { silent: true });
    texty.sendRaw('hello?');
    assert.equal((await texty.closed).reason, 'malformed');
    await waitUntil('three refusals', () => reasons.length === 3);
    assert.deepEqual(reasons.map((r) => r.reason), ['handshake-timeout', 'malformed', 'malformed']);
    assert.equal(a.stats().connections, 0);
  } finally {
    await a.stop();
  }
});

test('lifecycle: start/stop are idempotent, stop closes peers with `shutdown`, a stopped network cannot dial', async () => {
  const a = await startNet();
  const b = await startNet();
  try {
    await a.start();
    assert.ok(a.port > 0);
    await a.dial('127.0.0.1', b.port);
    const gone = nextEvent(b, 'peer:disconnected');
    await Promise.all([a.stop(), a.stop()]);
    assert.equal((await gone)[1], 'shutdown', 'the remote sees why');
    assert.equal(a.stats().connections, 0);
    assert.equal(a.isRunning, false);
    await rejectsWith(a.dial('127.0.0.1', b.port), 'not-started');
    await a.stop();
    // A stopped network can start again.
    await a.start();
    assert.ok(await a.connect('127.0.0.1', b.port));
  } finally {
    await stopAll(a, b);
  }
});
