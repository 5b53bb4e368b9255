// The one request tracker: awaited getheaders exchanges (reply, timeout, disconnect), reassigned
// item requests whose late answer is not scored, and unasked headers (a small announcement is
// free, a big one is scored as unrequested).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PENALTIES, P2PError, bodyId, type Message } from '../../../src/p2p/index.js';
import { collect, connectPair, flush, nextEvent, startNet, stopAll } from './helpers.js';

const header = (seed: number): Uint8Array => Uint8Array.from({ length: 116 }, (_, i) => (seed * 13 + i) & 0xff);

test('exchange: the headers reply resolves the caller and is not also a message event', async () => {
  const { a, b, ab, ba } = await connectPair();
  try {
    const atA = collect(a);
    b.on('message', (p, m) => {
      if (m.kind === 'getheaders') b.send(p, { kind: 'headers', headers: [header(1), header(2)] });
    });
    const reply = await a.exchange(ab, { kind: 'getheaders', locator: [new Uint8Array(32)] });
    assert.deepEqual(reply.headers, [header(1), header(2)]);
    await flush(b, ba, a);
    assert.equal(atA.filter((m: Message) => m.kind === 'headers').length, 0);
    assert.equal(ab.score, 0);
    assert.equal(ab.exchanges.length, 0, 'the exchange is closed');
  } finally {
    await stopAll(a, b);
  }
});

test('exchange: a silent peer rejects with timeout (and exchange:expired fires); a disconnect rejects with closed', async () => {
  const { a, b, ab } = await connectPair({ limits: { requestTimeoutMs: 300 } });
  try {
    const expired = nextEvent(a, 'exchange:expired');
    await assert.rejects(a.exchange(ab, { kind: 'getheaders', locator: [] }), (e: unknown) => e instanceof P2PError && e.reason === 'timeout');
    const [, kind] = await expired;
    assert.equal(kind, 'getheaders');
    const pending = a.exchange(ab, { kind: 'getheaders', locator: [] });
    a.disconnect(ab, 'test');
    await assert.rejects(pending, (e: unknown) => e instanceof P2PError && e.reason === 'closed');
  } finally {
    await stopAll(a, b);
  }
});

test('headers unasked: a small announcement is free, a flood of headers is scored as unrequested', async () => {
  const { a, b, ab, ba } = await connectPair();
  try {
    const atB = collect(b);
    a.send(ab, { kind: 'headers', headers: [header(3)] });
    await flush(a, ab, b);
    assert.equal(ba.score, 0);
    assert.equal(atB.filter((m) => m.kind === 'headers').length, 1, 'the announcement reaches the node');
    a.send(ab, { kind: 'headers', headers: Array.from({ length: 100 }, (_, i) => header(i)) });
    await flush(a, ab, b);
    assert.equal(ba.score, DEFAULT_PENALTIES.unrequested);
  } finally {
    await stopAll(a, b);
  }
});

test('reassign: a stalled item goes to another peer; the first peer\'s late answer is not scored', async () => {
  const { a, b, ab, ba } = await connectPair();
  const c = await startNet();
  try {
    const atC = nextEvent(c, 'peer:connected');
    const ac = await a.dial('127.0.0.1', c.port);
    const [ca] = await atC;
    const bytes = Uint8Array.from({ length: 200 }, (_, i) => (i * 7) & 0xff);
    const item = { type: 'block' as const, id: bodyId('block', bytes) };
    assert.equal(a.request(ab, [item]).sent.length, 1);
    assert.equal(a.requests.reassign(ab, item), false, 'never twice to the same peer');
    assert.equal(a.requests.reassign(ac, item), true);
    assert.equal(a.requests.fetchingFrom(item.id), ac);
    c.send(ca, { kind: 'block', bytes });
    await flush(c, ca, a);
    b.send(ba, { kind: 'block', bytes });
    await flush(b, ba, a);
    assert.equal(ac.score, 0);
    assert.equal(ab.score, 0, 'the late answer was asked for');
    assert.equal(ab.inflightCount('block') + ac.inflightCount('block'), 0, 'both slots are free');
  } finally {
    await stopAll(a, b, c);
  }
});
