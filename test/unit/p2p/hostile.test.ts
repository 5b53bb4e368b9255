// 10,000 random and mutated frames from raw `ws` clients (seeded PRNG, bounded loop): the network
// stays up, every hostile connection ends banned with score >= 100, memory stays bounded, banned
// identities are refused on reconnect, and the bans survive a restart through the BanStore.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeMessage, PROTOCOL_VERSION, type BanEvent, type Message } from '../../../src/p2p/index.js';
import { MemoryBanStore, RawPeer, nextEvent, prng, randomBytesFrom, startNet, stopAll, waitUntil } from './helpers.js';
import type { KeyPair } from '../../../src/crypto/index.js';

const FRAMES = 10_000;
const BATCH = 50;

const id = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const tip = { id: id(1), height: 5, work: 1234n };
/** One valid message of every kind: the seeds for mutation. */
const TEMPLATES: Message[] = [
  { kind: 'hello', version: PROTOCOL_VERSION, genesis: id(0xaa), publicKey: id(2), listenPort: 3, challenge: id(4), tip },
  { kind: 'helloAck', signature: new Uint8Array(64).fill(5) },
  { kind: 'inv', items: [{ type: 'block', id: id(6) }, { type: 'tx', id: id(7) }] },
  { kind: 'getdata', items: [{ type: 'tx', id: id(8) }] },
  { kind: 'notfound', items: [{ type: 'block', id: id(9) }] },
  { kind: 'block', bytes: new Uint8Array(300).fill(10) },
  { kind: 'tx', bytes: new Uint8Array(150).fill(11) },
  { kind: 'getblocks', locator: [id(12), id(13)], stop: id(14) },
  { kind: 'blocks', blocks: [new Uint8Array(100).fill(15), new Uint8Array(90).fill(16)] },
  { kind: 'ping', nonce: 17n },
  { kind: 'pong', nonce: 18n },
  { kind: 'tip', tip },
];
const VALID = TEMPLATES.map(encodeMessage);

function makeFrames(rnd: () => number): () => Uint8Array | string {
  const pick = (): Uint8Array => Uint8Array.from(VALID[Math.floor(rnd() * VALID.length)]!);
  return () => {
    const op = rnd();
    if (op < 0.25) return randomBytesFrom(rnd, Math.floor(rnd() * 600));
    if (op < 0.5) {
      const f = pick();
      for (let n = 1 + Math.floor(rnd() * 4); n > 0; n--) f[Math.floor(rnd() * f.length)] = Math.floor(rnd() * 256);
      return f;
    }
    if (op < 0.62) return pick().subarray(0, Math.floor(rnd() * 40));
    if (op < 0.74) return Uint8Array.from([...pick(), ...randomBytesFrom(rnd, 1 + Math.floor(rnd() * 16))]);
    if (op < 0.86) return Uint8Array.from([PROTOCOL_VERSION, pick()[1]!, ...randomBytesFrom(rnd, Math.floor(rnd() * 200))]);
    if (op < 0.96) return pick(); // valid, but hello/helloAck again or unrequested bodies still cost points
    return 'not binary';
  };
}

test('hostile frames: 10,000 random and mutated frames; the network stays up and bans every sender', { timeout: 60_000 }, async (t) => {
  const bans = new MemoryBanStore();
  // 1 point per bad frame (20 by default) so each connection absorbs ~100 frames before its ban:
  // the decoder sees all 10,000 frames over ~100 connections instead of ~2,000 handshakes.
  // ~100 handshakes from one host in a few seconds: the global inbound handshake budget (tested in
  // handshake-flood.test.ts) is lifted too, or it would close this loop's later dials as 'busy'.
  const opts = { banStore: bans, penalties: { malformed: 1, unrequested: 1 }, limits: { messagesPerSecond: 1e9, messageBurst: 1e9, inboundHandshakesPerSecond: 1e9, inboundHandshakeBurst: 1e9 } };
  let a = await startNet(opts);
  let honest: Awaited<ReturnType<typeof startNet>> | undefined;
  const banEvents: BanEvent[] = [];
  a.on('peer:banned', (e) => banEvents.push(e));
  let messages = 0;
  a.on('message', () => messages++);
  const nextFrame = makeFrames(prng(20261125));
  const keys: KeyPair[] = [];
  let sent = 0;
  let bannedConns = 0;
  const heap0 = process.memoryUsage().heapUsed;
  try {
    while (sent < FRAMES) {
      const c = await RawPeer.ready(a.port);
      keys.push(c.key);
      while (sent < FRAMES && c.isOpen) {
        for (let i = 0; i < BATCH && sent < FRAMES; i++, sent++) c.sendRaw(nextFrame());
        // The server handles frames in order: a pong means the whole batch was processed.
        if (!(await c.roundtrip())) break;
      }
      if (c.isOpen) await c.close(); // the last one may run out of frames before its ban
      else {
        assert.deepEqual(await c.closed, { code: 4010, reason: 'banned' });
        bannedConns++;
      }
    }
    t.diagnostic(`${sent} frames over ${keys.length} connections; ${bannedConns} banned; ${messages} frames decoded into valid messages`);
    assert.equal(sent, FRAMES);
    assert.ok(bannedConns >= keys.length - 1, 'every hostile connection but possibly the last was banned');
    assert.ok(bannedConns >= 50, 'the loop really went through many bans');
    assert.ok(messages > 100, 'some frames were valid messages (the fuzz is not all junk)');
    assert.equal(banEvents.length, bannedConns, 'one id ban per connection (loopback: no host ban)');
    for (const e of banEvents) assert.ok(e.score >= 100 && e.key === `id:${e.id}`, JSON.stringify(e));

    // Memory stays bounded: no connection state left behind, bounded tables, modest heap growth.
    await waitUntil('hostile sockets gone', () => a.stats().connections === 0);
    const s = a.stats();
    assert.equal(s.peers, 0);
    assert.equal(s.inflight, 0);
    assert.ok(s.seen <= a.limits.seenIds);
    const grown = process.memoryUsage().heapUsed - heap0;
    t.diagnostic(`heap growth ${(grown / 1048576).toFixed(1)} MiB; stats ${JSON.stringify(s)}`);
    assert.ok(grown < 100 * 1048576, `heap grew ${grown} bytes`);

    // Still serving honest peers.
    honest = await startNet();
    const p = await honest.dial('127.0.0.1', a.port);
    const got = nextEvent(a, 'message', (_p, m) => m.kind === 'inv');
    honest.announce('tx', id(99));
    await got;
    assert.equal(p.score, 0);

    // A banned identity is refused on reconnect.
    const again = await RawPeer.connect(a.port, { key: keys[0]! });
    assert.equal((await again.closed).reason, 'banned');

    // Bans persist through the BanStore: a new network on the same store still refuses them.
    await a.stop();
    assert.equal(bans.rows.size, bannedConns);
    a = await startNet(opts);
    assert.equal(a.bannedList().length, bannedConns);
    const afterRestart = await RawPeer.connect(a.port, { key: keys[keys.length > 1 ? 1 : 0]! });
    assert.equal((await afterRestart.closed).reason, 'banned');
  } finally {
    await stopAll(a, honest);
  }
});
