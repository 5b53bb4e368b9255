// Gossip plumbing between two real networks: typed messages, announce -> getdata -> body, the
// per-peer "has it" memory (no body twice), in-flight limits with a draining queue, unrequested
// data scored, request expiry, and `blocks` replies cut to fit maxPayload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bodyId, DEFAULT_PENALTIES, type InvItem, type Message, type MessageOf } from '../../../src/p2p/index.js';
import { collect, connectPair, flush, nextEvent, stopAll, waitUntil } from './helpers.js';

/** Fake bodies: p2p never decodes them, it only hashes the header prefix (block) or all bytes (tx). */
const body = (seed: number, len = 200): Uint8Array => Uint8Array.from({ length: len }, (_, i) => (seed * 31 + i * 7) & 0xff);

test('messages arrive decoded and typed; tip updates the peer record', async () => {
  const { a, b, ab, ba } = await connectPair();
  try {
    const got = collect(b);
    const locator = [new Uint8Array(32).fill(3), new Uint8Array(32).fill(4)];
    const stop = new Uint8Array(32).fill(5);
    assert.equal(a.send(ab, { kind: 'getblocks', locator, stop }), true);
    assert.equal(a.send(ab, { kind: 'tx', bytes: body(1, 50) }), true);
    const tip = { id: new Uint8Array(32).fill(8), height: 99, work: 1n << 200n };
    assert.equal(a.broadcast({ kind: 'tip', tip }), 1);
    await waitUntil('3 messages', () => got.length === 3);
    const [g, t, tp] = got as [Message, Message, Message];
    assert.equal(g.kind, 'getblocks');
    if (g.kind === 'getblocks') {
      assert.deepEqual(g.locator, locator);
      assert.deepEqual(g.stop, stop);
    }
    assert.deepEqual(t, { kind: 'tx', bytes: body(1, 50) });
    assert.deepEqual(tp, { kind: 'tip', tip });
    assert.deepEqual(ba.tip, tip, 'peer.tip follows tip messages');
    assert.equal(b.peerInfos()[0]!.height, 99);
  } finally {
    await stopAll(a, b);
  }
});

test('announce -> getdata -> block: the round trip, without penalties', async () => {
  const { a, b, ab, ba } = await connectPair();
  try {
    const bytes = body(7);
    const id = bodyId('block', bytes);
    // B (the node layer would do this) asks for what is announced; A serves what is asked.
    b.on('message', (peer, m) => {
      if (m.kind === 'inv') assert.deepEqual(b.request(peer, m.items).sent, m.items);
    });
    a.on('message', (peer, m) => {
      if (m.kind === 'getdata') for (const it of m.items) if (Buffer.from(it.id).equals(Buffer.from(id))) a.sendBlock(peer, bytes);
    });
    const arrived = nextEvent(b, 'message', (_p, m) => m.kind === 'block');
    assert.equal(a.announce('block', id), 1);
    const [from, m] = await arrived;
    assert.equal(from, ba);
    assert.deepEqual((m as MessageOf<'block'>).bytes, bytes);
    assert.equal(ba.score, 0, 'a requested body costs nothing');
    assert.equal(b.stats().inflight, 0, 'the request slot is free again');
    assert.ok(b.seenBefore(id) && a.seenBefore(id));
    assert.ok(ba.hasBody(id), 'B knows A has it (A sent it)');
    assert.ok(ab.hasBody(id), 'A knows B has it now');
    assert.equal(a.announce('block', id), 0, 'never announced twice to the same peer');
    assert.equal(b.announce('block', id), 0, 'nor back to where it came from');
  } finally {
    await stopAll(a, b);
  }
});

test('a body is not sent twice to a peer that has it', async () => {
  const { a, b, ab, ba } = await connectPair();
  try {
    const got = collect(b);
    const blk = body(1);
    const tx = body(2, 120);
    // Make the sends "requested" so no penalty blurs the picture.
    b.send(ba, { kind: 'getdata', items: [{ type: 'block', id: bodyId('block', blk) }, { type: 'tx', id: bodyId('tx', tx) }] });
    await flush(b, ba, a);
    assert.equal(a.sendBlock(ab, blk), true);
    assert.equal(a.sendBlock(ab, blk), false);
    assert.equal(a.sendTx(ab, tx), true);
    assert.equal(a.sendTx(ab, tx), false);
    // What the peer announced, it has: A does not send it that body either.
    const theirs = body(3);
    b.announce('block', bodyId('block', theirs));
    await flush(b, ba, a);
    assert.equal(a.sendBlock(ab, theirs), false);
    await flush(a, ab, b);
    assert.deepEqual(got.filter((m) => m.kind === 'block' || m.kind === 'tx').map((m) => m.kind), ['block', 'tx']);
    assert.equal(ba.score, 0);
  } finally {
    await stopAll(a, b);
  }
});

test('in-flight limit: 16 block requests per peer, the rest queued and sent as answers arrive', async () => {
  const { a, b, ab, ba } = await connectPair();
  try {
    const sizes: number[] = [];
    a.on('message', (peer, m) => {
      if (m.kind !== 'getdata') return;
      sizes.push(m.items.length);
      a.send(peer, { kind: 'notfound', items: m.items }); // nothing here: each answer frees a slot
    });
    const items: InvItem[] = Array.from({ length: 40 }, (_, i) => ({ type: 'block', id: new Uint8Array(32).fill(i + 1) }));
    const r = b.request(ba, items);
    assert.equal(r.sent.length, 16);
    assert.equal(r.queued.length, 24);
    assert.equal(ba.inflightCount('block'), 16);
    const again = b.request(ba, items.slice(0, 3));
    assert.equal(again.skipped.length, 3, 'already in flight or queued: not asked twice');
    await waitUntil('all 40 asked and answered', () => sizes.reduce((s, n) => s + n, 0) === 40 && b.stats().inflight === 0);
    assert.deepEqual(sizes, [16, 16, 8]);
    // Transactions have their own, larger allowance.
    const txs: InvItem[] = Array.from({ length: 70 }, (_, i) => ({ type: 'tx', id: new Uint8Array(32).fill(100 + i) }));
    assert.equal(b.request(ba, txs).sent.length, b.limits.maxInflightTxsPerPeer);
    void ab;
  } finally {
    await stopAll(a, b);
  }
});

test('unrequested bodies are scored; requested ones and getblocks replies are not', async () => {
  const { a, b, ab, ba } = await connectPair();
  try {
    const u = DEFAULT_PENALTIES.unrequested;
    a.send(ab, { kind: 'block', bytes: body(1) });
    await flush(a, ab, b);
    assert.equal(ba.score, u, 'an unasked block');
    a.send(ab, { kind: 'blocks', blocks: [body(2)] });
    await flush(a, ab, b);
    assert.equal(ba.score, 2 * u, 'a blocks reply nobody asked for');
    b.send(ba, { kind: 'getblocks', locator: [] });
    await flush(b, ba, a);
    a.send(ab, { kind: 'blocks', blocks: [body(3), body(4)] });
    await flush(a, ab, b);
    assert.equal(ba.score, 2 * u, 'an answer to getblocks is fine');
    // The node adds its own verdicts through misbehave().
    b.misbehave(ba, 10, 'invalid-tx');
    assert.equal(b.peerInfos()[0]!.score, 2 * u + 10);
  } finally {
    await stopAll(a, b);
  }
});

test('request:expired frees slots of unanswered requests', async () => {
  const { a, b, ba } = await connectPair({}, { limits: { requestTimeoutMs: 150 } });
  try {
    const items: InvItem[] = [{ type: 'block', id: new Uint8Array(32).fill(1) }];
    const expired = nextEvent(b, 'request:expired');
    b.request(ba, items);
    const [peer, lost] = await expired;
    assert.equal(peer, ba);
    assert.deepEqual(lost, items);
    assert.equal(ba.inflightCount('block'), 0);
  } finally {
    await stopAll(a, b);
  }
});

test('a blocks reply is cut to fit maxPayload instead of being refused by the receiver', async () => {
  const limits = { maxPayload: 32 * 1024 };
  const { a, b, ab, ba } = await connectPair({ limits }, { limits });
  try {
    b.send(ba, { kind: 'getblocks', locator: [] });
    await flush(b, ba, a);
    const got = nextEvent(b, 'message', (_p, m) => m.kind === 'blocks');
    assert.equal(a.send(ab, { kind: 'blocks', blocks: Array.from({ length: 10 }, (_, i) => body(i, 8 * 1024)) }), true);
    const [, m] = await got;
    assert.equal((m as MessageOf<'blocks'>).blocks.length, 3, '3 x 8 KiB fit in 32 KiB, 4 do not');
    assert.equal(ba.score, 0);
    // A single message that cannot fit is not sent at all (the peer would have to ban us).
    assert.equal(a.send(ab, { kind: 'block', bytes: new Uint8Array(40 * 1024) }), false);
    assert.equal(a.peers().length, 1);
  } finally {
    await stopAll(a, b);
  }
});
