// P2P over real WebSockets on 127.0.0.1: handshake refusals by reason, typed messages, announce
// without duplicates, scoring and bans (persisted), rate limit, idle timeout, hostile frames.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeMessage, decodeMessage, type Message, type P2PNetwork, type Peer } from '../../../src/p2p/index.js';
import { DecodeError } from '../../../src/core/index.js';
import { generateKeyPair } from '../../../src/crypto/index.js';
import { startNet, rawClient, waitFor, MemoryBanStore, GENESIS_B } from '../../helpers/p2p-helpers.js';
import { prng } from '../../helpers/fixtures.js';

const connected = (net: P2PNetwork) => waitFor<Peer>('peer:connected', (r) => net.once('peer:connected', r));

test('handshake: two networks connect and prove their ids', async () => {
  const a = await startNet();
  const b = await startNet();
  try {
    const both = Promise.all([connected(a), connected(b)]);
    await a.connect('127.0.0.1', b.port);
    const [pa, pb] = await both;
    assert.equal(pa.id, b.nodeId);
    assert.equal(pb.id, a.nodeId);
    assert.equal(a.peers().length, 1);
  } finally {
    await a.stop();
    await b.stop();
  }
});

test('wrong-genesis: refused, and the dialler sees the reason', async () => {
  const a = await startNet();
  const b = await startNet({ genesis: GENESIS_B });
  try {
    const c = await rawClient(a.port, { genesis: GENESIS_B });
    assert.equal(await c.closed, 'wrong-genesis');
    const closedB = waitFor<string>('b disconnect', (r) => b.once('peer:disconnected', (_p, why) => r(why)), 3000).catch(() => 'none');
    assert.equal(await a.connect('127.0.0.1', b.port), undefined);
    void closedB;
    assert.equal(a.peers().length + b.peers().length, 0);
  } finally {
    await a.stop();
    await b.stop();
  }
});

test('bad-proof: a forged handshake signature is refused', async () => {
  const a = await startNet();
  try {
    const c = await rawClient(a.port, { forgeProof: true });
    assert.equal(await c.closed, 'bad-proof');
    assert.equal(a.peers().length, 0);
  } finally {
    await a.stop();
  }
});

test('self-connection: dialling our own port is refused', async () => {
  const key = generateKeyPair();
  const a = await startNet({ key });
  try {
    const c = await rawClient(a.port, { key });
    assert.equal(await c.closed, 'self-connection');
    assert.equal(await a.connect('127.0.0.1', a.port), undefined);
    assert.equal(a.peers().length, 0);
  } finally {
    await a.stop();
  }
});

test('duplicate: a second connection from the same node id is refused', async () => {
  const a = await startNet();
  const key = generateKeyPair();
  try {
    const first = await rawClient(a.port, { key });
    await first.ready;
    await waitFor('ready', (r) => (a.peers().length ? r(undefined) : a.once('peer:connected', () => r(undefined))));
    const second = await rawClient(a.port, { key });
    assert.equal(await second.closed, 'duplicate');
    assert.equal(a.peers().length, 1);
    first.ws.close();
  } finally {
    await a.stop();
  }
});

test('messages arrive typed; announce sends each id once per peer', async () => {
  const a = await startNet();
  const b = await startNet();
  try {
    const both = Promise.all([connected(a), connected(b)]);
    await a.connect('127.0.0.1', b.port);
    await both;
    const got: Message[] = [];
    b.on('message', (_p, m) => got.push(m));
    const id1 = new Uint8Array(32).fill(1);
    const id2 = new Uint8Array(32).fill(2);
    assert.equal(a.announce('block', [id1]), 1);
    assert.equal(a.announce('block', [id1]), 0, 'already announced to this peer');
    assert.equal(a.announce('tx', [id1, id2]), 1);
    const pa = a.peers()[0]!;
    a.send(pa, { kind: 'getblocks', locator: [id1] });
    await waitFor('3 messages', (r) => { const t = setInterval(() => { if (got.length >= 3) { clearInterval(t); r(undefined); } }, 10); });
    assert.deepEqual(got.map((m) => m.kind), ['inv', 'inv', 'getblocks']);
    assert.deepEqual(got[1]!.kind === 'inv' && got[1]!.items.map((i) => i.id[0]), [2]);
  } finally {
    await a.stop();
    await b.stop();
  }
});

test('codec: every message round-trips; random bytes give only DecodeError', () => {
  const id = fc.uint8Array({ minLength: 32, maxLength: 32 });
  const items = fc.array(fc.record({ type: fc.constantFrom('block' as const, 'tx' as const), id }).map((r) => ({ ...r })), { maxLength: 20 });
  const tip = fc.record({ id, height: fc.nat({ max: 0xffffffff }), work: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }) }).map((r) => ({ ...r }));
  const msg: fc.Arbitrary<Message> = fc.oneof(
    fc.record({ kind: fc.constant('hello' as const), version: fc.nat({ max: 65535 }), genesis: id, publicKey: id, listenPort: fc.nat({ max: 65535 }), challenge: id, tip }),
    fc.record({ kind: fc.constant('helloAck' as const), signature: fc.uint8Array({ minLength: 64, maxLength: 64 }) }),
    fc.record({ kind: fc.constantFrom('inv' as const, 'getdata' as const, 'notfound' as const), items }),
    fc.record({ kind: fc.constant('block' as const), bytes: fc.uint8Array({ maxLength: 300 }) }),
    fc.record({ kind: fc.constant('tx' as const), bytes: fc.uint8Array({ maxLength: 300 }) }),
    fc.record({ kind: fc.constant('getblocks' as const), locator: fc.array(id, { maxLength: 101 }) }),
    fc.record({ kind: fc.constant('blocks' as const), blocks: fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 10 }) }),
    fc.record({ kind: fc.constantFrom('ping' as const, 'pong' as const), nonce: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
    fc.record({ kind: fc.constant('tip' as const), tip }),
  ).map((m) => ({ ...m }) as Message);
  fc.assert(fc.property(msg, (m) => assert.deepEqual(decodeMessage(encodeMessage(m)), m)), { seed: 5, numRuns: 500 });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
    try { decodeMessage(b); } catch (e) { assert.ok(e instanceof DecodeError, String(e)); }
  }), { seed: 6, numRuns: 3000 });
});

test('hostile frames: 10,000 random and mutated frames; senders banned (persisted), node up, memory bounded', { timeout: 120_000 }, async () => {
  const bans = new MemoryBanStore();
  const a = await startNet({ banStore: bans, limits: { messagesPerSecond: 1e6, messageBurst: 1e6 } });
  const rnd = prng(99);
  const valid = [
    encodeMessage({ kind: 'inv', items: [{ type: 'block', id: new Uint8Array(32).fill(3) }] }),
    encodeMessage({ kind: 'getblocks', locator: [new Uint8Array(32)] }),
    encodeMessage({ kind: 'block', bytes: new Uint8Array(200).fill(9) }),
    encodeMessage({ kind: 'ping', nonce: 5n }),
  ];
  const rss0 = process.memoryUsage().rss;
  let sent = 0;
  let banned = 0;
  const keys: ReturnType<typeof generateKeyPair>[] = [];
  try {
    while (sent < 10_000) {
      const key = generateKeyPair();
      keys.push(key);
      const c = await rawClient(a.port, { key });
      await c.ready;
      let open = true;
      void c.closed.then(() => (open = false));
      while (open && sent < 10_000) {
        const base = valid[Math.floor(rnd() * valid.length)]!;
        let frame: Uint8Array;
        const op = rnd();
        if (op < 0.3) frame = Uint8Array.from({ length: Math.floor(rnd() * 600) }, () => Math.floor(rnd() * 256));
        else if (op < 0.6) { frame = Uint8Array.from(base); frame[Math.floor(rnd() * frame.length)] ^= 0xff; }
        else if (op < 0.8) frame = base.subarray(0, Math.floor(rnd() * base.length));
        else frame = Uint8Array.from([...base, ...Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => Math.floor(rnd() * 256))]);
        c.ws.send(frame);
        sent++;
        if (sent % 50 === 0) await new Promise((r) => setImmediate(r));
      }
      const reason = await Promise.race([c.closed, new Promise<string>((r) => setTimeout(() => r('still-open'), 5000))]);
      if (reason === 'banned') banned++;
      c.ws.terminate();
    }
    assert.ok(banned >= 1, 'hostile senders get banned');
    assert.ok(bans.rows.size >= banned);
    // A banned identity is refused on reconnect.
    const again = await rawClient(a.port, { key: keys[0]! });
    assert.equal(await again.closed, 'banned');
    // Node still serves honest peers.
    const b = await startNet();
    const ok = connected(a);
    await b.connect('127.0.0.1', a.port);
    await ok;
    await b.stop();
    assert.ok(process.memoryUsage().rss - rss0 < 200 * 1024 * 1024, 'memory bounded');
  } finally {
    await a.stop();
  }
  // Bans survive a restart through the BanStore.
  const restarted = await startNet({ banStore: bans });
  try {
    const c = await rawClient(restarted.port, { key: keys[0]! });
    assert.equal(await c.closed, 'banned');
  } finally {
    await restarted.stop();
  }
});

test('rate-limit: a flooding peer is scored and banned', async () => {
  const a = await startNet({ limits: { messagesPerSecond: 5, messageBurst: 5 } });
  try {
    const c = await rawClient(a.port);
    await c.ready;
    for (let i = 0; i < 40; i++) c.ws.send(encodeMessage({ kind: 'ping', nonce: BigInt(i) }));
    assert.equal(await c.closed, 'banned');
  } finally {
    await a.stop();
  }
});

test('idle-timeout: a silent peer is dropped', async () => {
  const a = await startNet({ limits: { pingIntervalMs: 200, idleTimeoutMs: 400 } });
  try {
    const c = await rawClient(a.port);
    await c.ready;
    c.ws.removeAllListeners('message'); // never answers pings
    c.ws.on('error', () => {});
    assert.equal(await c.closed, 'idle-timeout');
  } finally {
    await a.stop();
  }
});
