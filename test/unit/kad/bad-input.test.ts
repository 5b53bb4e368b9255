// Hostile datagrams: random, mutated, forged, expired, oversized, and FIND_NODE from an address
// that never answered our PING. The node stays up, answers nothing (one PING at most: the lazy bond), and its table is unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import fc from 'fast-check';
import { fcOptions } from '../../helpers/seed.js';
import { KadNode, encodePacket, decodePacket, ipFromBytes, type Packet } from '../../../src/kad/index.js';
import { generateKeyPair, sha256, publicKeyFromSecret } from '../../../src/crypto/index.js';
import { prng } from '../../helpers/fixtures.js';

test('packet codec round-trips every body; random bytes are dropped with a reason', () => {
  const k = generateKeyPair();
  const id = fc.uint8Array({ minLength: 32, maxLength: 32 });
  const ip = fc.oneof(
    fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((t) => t.join('.')),
    fc.uint8Array({ minLength: 16, maxLength: 16 }).filter((b) => !(b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff)).map((b) => ipFromBytes(b)),
  );
  const body = fc.oneof(
    fc.constant({ type: 'ping' as const }),
    fc.boolean().map((verified) => ({ type: 'pong' as const, verified })),
    id.map((target) => ({ type: 'find-node' as const, target })),
    fc.array(fc.record({ id, host: ip, port: fc.nat(65535) }).map((r) => ({ ...r })), { maxLength: 12 }).map((nodes) => ({ type: 'nodes' as const, total: 1, nodes })),
    fc.record({ key: id, value: fc.uint8Array({ maxLength: 500 }), ttlSec: fc.nat() }).map((r) => ({ type: 'store' as const, ...r })),
    id.map((key) => ({ type: 'find-value' as const, key })),
    fc.record({ key: id, values: fc.array(fc.uint8Array({ maxLength: 100 }), { minLength: 1, maxLength: 8 }) }).map((r) => ({ type: 'value' as const, total: 1, ...r })),
  );
  fc.assert(fc.property(body, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (b, requestId) => {
    const p: Omit<Packet, 'senderKey'> = { requestId, expiry: 2_000_000_000_000, body: b as Packet['body'] };
    const bytes = encodePacket(p, k.secretKey, k.publicKey);
    assert.ok(bytes.length <= 1280);
    const d = decodePacket(bytes, 1_000);
    assert.ok(typeof d !== 'string', String(d));
    assert.deepEqual(d.body, b);
    assert.equal(d.requestId, requestId);
  }), fcOptions(3, 300));
  fc.assert(fc.property(fc.uint8Array({ maxLength: 1400 }), (b) => assert.equal(typeof decodePacket(b, 0), 'string')), fcOptions(4, 2000));
});

test('10,000 random/mutated datagrams, forged, expired, oversized, unverified FIND_NODE: no reply, table unchanged', { timeout: 60_000 }, async () => {
  const victim = new KadNode({ secretKey: sha256(new Uint8Array([1])), host: '127.0.0.1', port: 0, maintenance: false });
  const friend = new KadNode({ secretKey: sha256(new Uint8Array([2])), host: '127.0.0.1', port: 0, maintenance: false, bootstrap: [] });
  await victim.start();
  await friend.start();
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  // Replies by type: the unverified FIND_NODE may draw one PING (the lazy bond), never more.
  const replies: { type: string; bytes: number }[] = [];
  sock.on('message', (m) => {
    const p = decodePacket(new Uint8Array(m), Date.now());
    replies.push({ type: typeof p === 'string' ? p : p.body.type, bytes: m.length });
  });
  try {
    await friend.ping('127.0.0.1', victim.port);
    await new Promise((r) => setTimeout(r, 200));
    const tableBefore = JSON.stringify(victim.tableEntries().map((e) => e.id));
    assert.equal(victim.table.size, 1);

    const attacker = generateKeyPair();
    const now = Date.now();
    const send = (b: Uint8Array) => sock.send(b, victim.port, '127.0.0.1');
    const findNode = encodePacket({ requestId: 1n, expiry: now + 20_000, body: { type: 'find-node', target: new Uint8Array(32) } }, attacker.secretKey, attacker.publicKey);
    // Unverified FIND_NODE: never answered a PING, so gets no NODES (one PING at most: the lazy bond).
    send(findNode);
    // Forged: signed by another key than the one it claims.
    const forged = encodePacket({ requestId: 2n, expiry: now + 20_000, body: { type: 'ping' } }, generateKeyPair().secretKey, attacker.publicKey);
    send(forged);
    // Expired.
    send(encodePacket({ requestId: 3n, expiry: now - 1, body: { type: 'ping' } }, attacker.secretKey, attacker.publicKey));
    // Oversized.
    send(new Uint8Array(1400));
    const rnd = prng(1234);
    const valid = [findNode, forged, encodePacket({ requestId: 4n, expiry: now + 20_000, body: { type: 'store', key: new Uint8Array(32), value: new Uint8Array(100), ttlSec: 60 } }, attacker.secretKey, attacker.publicKey)];
    for (let i = 0; i < 10_000; i++) {
      let b: Uint8Array;
      if (rnd() < 0.4) b = Uint8Array.from({ length: Math.floor(rnd() * 1300) }, () => Math.floor(rnd() * 256));
      else {
        b = Uint8Array.from(valid[i % valid.length]!);
        b[Math.floor(rnd() * b.length)] ^= 1 + Math.floor(rnd() * 255);
      }
      send(b);
      // Pace the burst to what the receiver drains, so the kernel does not drop the test input.
      if (i % 50 === 49) {
        const end = Date.now() + 200;
        while (victim.stats.received < i - 100 && Date.now() < end) await new Promise((r) => setImmediate(r));
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(replies.every((r) => r.type === 'ping' && r.bytes <= findNode.length), `only PINGs, no larger than the request: ${JSON.stringify(replies)}`);
    assert.ok(replies.length <= 2, `at most one ping-back per FIND_NODE that verified: ${replies.length}`);
    const d = victim.stats.dropped;
    assert.ok(d['unverified-endpoint'] >= 1);
    assert.ok(d['bad-signature'] >= 1);
    assert.ok(d.expired >= 1);
    assert.ok(d.oversize >= 1);
    const droppedTotal = Object.values(d).reduce((a, b) => a + b, 0);
    // The kernel may drop some of a 10,000-datagram burst; everything that arrived was dropped.
    assert.ok(victim.stats.received > 9000, `received ${victim.stats.received}`);
    // Everything but the friend's own exchanges (its PING, PONGs and their retries) was dropped.
    assert.ok(droppedTotal >= victim.stats.received - 20, `dropped ${droppedTotal} of ${victim.stats.received}`);
    assert.equal(JSON.stringify(victim.tableEntries().map((e) => e.id)), tableBefore);
    assert.equal(victim.values.size, 0, 'STORE from an unverified endpoint is ignored');
    // Still up: an honest node is answered.
    assert.ok(await friend.ping('127.0.0.1', victim.port));
    void publicKeyFromSecret;
  } finally {
    sock.close();
    await victim.stop();
    await friend.stop();
  }
});
