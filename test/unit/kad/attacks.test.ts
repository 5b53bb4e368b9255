// The attacks of issue 16, each over real UDP on 127.0.0.1 (or the simulator where an address class
// cannot exist on loopback): eviction by a forged reply, reflection with a throwaway key, prefix
// limits bypassed by replacement or move, a relayed private address, and a PING flood from many
// source ports against the bounded per-source maps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { KadNode, RoutingTable, SimNetwork, SimClock, encodePacket, ipClass, relayAllowed, type NodeRecord } from '../../../src/kad/index.js';
import { sha256, toHex } from '../../../src/crypto/index.js';
import { ScriptedPeer, kadKey, simNode, until } from './kad-helpers.js';

const quick = { host: '127.0.0.1', port: 0, maintenance: false, autoJoin: false, responseTimeoutMs: 300 } as const;

test('eviction by a forged reply: a NODES reply naming honest ids at a dead port evicts nobody', { timeout: 60_000 }, async (t) => {
  const victim = new KadNode({ ...quick, secretKey: kadKey('victim').secretKey });
  const honest = [0, 1, 2].map((i) => new KadNode({ ...quick, secretKey: kadKey(`honest${i}`).secretKey }));
  const liar = await ScriptedPeer.bind(kadKey('liar'));
  t.after(async () => {
    liar.close();
    for (const n of [victim, ...honest]) await n.stop();
  });
  await victim.start();
  for (const h of honest) {
    await h.start();
    assert.ok(await victim.ping('127.0.0.1', h.port));
  }
  assert.equal(victim.table.size, 3);
  // The liar bonds (answers the victim's PING), then answers FIND_NODE with the honest ids at a dead port.
  liar.answerPings();
  const dead = createSocket('udp4');
  await new Promise<void>((r) => dead.bind(0, '127.0.0.1', () => r()));
  const deadPort = dead.address().port;
  dead.close();
  const forged: NodeRecord[] = honest.map((h) => ({ id: h.id, host: '127.0.0.1', port: deadPort }));
  const prev = liar.onPacket;
  liar.onPacket = (p, host, port) => {
    prev?.(p, host, port);
    if (p.body.type === 'find-node') liar.send(port, { type: 'nodes', total: 1, nodes: forged }, p.requestId);
  };
  assert.ok(await victim.ping('127.0.0.1', liar.port));
  assert.equal(victim.table.size, 4);
  // Several lookups: each one tries the forged endpoints and fails there.
  for (let i = 0; i < 6; i++) await victim.lookup(sha256(new Uint8Array([i])));
  for (const h of honest) assert.ok(victim.table.has(h.idHex), `honest ${h.idHex.slice(0, 8)} still in the table`);
  for (const h of honest) assert.equal(victim.table.get(h.idHex)!.port, h.port, 'the entry keeps its own address');
});

test('reflection with a throwaway key: FIND_NODE signed by an unbonded key from a bonded IP gets no reply', { timeout: 30_000 }, async (t) => {
  const victim = new KadNode({ ...quick, secretKey: kadKey('refl-victim').secretKey });
  for (let i = 0; i < 8; i++) victim.table.update({ id: sha256(new Uint8Array([9, i])), host: '127.0.0.1', port: 40000 + i }, Date.now());
  const bonded = await ScriptedPeer.bind(kadKey('refl-bonded'));
  t.after(async () => {
    bonded.close();
    await victim.stop();
  });
  await victim.start();
  bonded.answerPings();
  assert.ok(await victim.ping('127.0.0.1', bonded.port), 'bonded key verified from its endpoint');
  // The bonded key is answered...
  bonded.send(victim.port, { type: 'find-node', target: new Uint8Array(32) }, 77n);
  await until('answer to the bonded key', () => bonded.got.some((g) => g.p.body.type === 'nodes' && g.p.requestId === 77n));
  // ...a throwaway key from the very same endpoint is not.
  const throwaway = kadKey('throwaway');
  const before = bonded.got.length;
  for (let i = 0; i < 5; i++) bonded.send(victim.port, { type: 'find-node', target: new Uint8Array(32).fill(i) }, 100n + BigInt(i), throwaway);
  await until('drops counted', () => victim.stats.dropped['unverified-endpoint'] >= 5);
  // A PING round trip after the FIND_NODEs: anything they caused would have arrived before its PONG.
  bonded.send(victim.port, { type: 'ping' }, 999n);
  await until('pong', () => bonded.got.some((g) => g.p.requestId === 999n));
  const after = bonded.got.slice(before).filter((g) => g.p.body.type === 'nodes');
  assert.equal(after.length, 0, 'no NODES for the throwaway key');
});

test('prefix limits bypassed by replacement or move: /24 and /48 limits count entries, replacements and moves', () => {
  const self = new Uint8Array(32);
  // Ids all in bucket 0 (first bit set) so one bucket takes every contact.
  const id = (i: number): Uint8Array => { const b = sha256(new Uint8Array([i, 1])); b[0]! |= 0x80; return b; };
  const table = new RoutingTable(self, { perBucket: 2, perTable: 10 }, 2);
  const now = Date.now();
  assert.equal(table.update({ id: id(1), host: '8.8.1.1', port: 1 }, now).status, 'added');
  assert.equal(table.update({ id: id(2), host: '9.9.9.9', port: 1 }, now).status, 'added');
  // Bucket full (k = 2): the next from 8.8.1/24 goes to the replacements; one more must be refused.
  assert.equal(table.update({ id: id(3), host: '8.8.1.3', port: 1 }, now).status, 'full');
  assert.equal(table.update({ id: id(4), host: '8.8.1.4', port: 1 }, now).status, 'rejected', 'replacement counted against the /24');
  // A move into a full /24 is refused too.
  assert.equal(table.update({ id: id(2), host: '8.8.1.9', port: 1 }, now).status, 'rejected', 'a move counts like a new entry');
  assert.equal(table.get(toHex(id(2)))!.host, '9.9.9.9');
  // Table-wide: 10 per /24 including replacements, across buckets.
  const big = new RoutingTable(self, { perBucket: 2, perTable: 10 }, 20);
  let accepted = 0;
  for (let i = 0; i < 200; i++) {
    const st = big.update({ id: sha256(new Uint8Array([i, 2])), host: `7.7.7.${i}`, port: 1 }, now).status;
    if (st === 'added' || st === 'full') accepted++;
  }
  assert.ok(accepted <= 10, `at most 10 from one /24 in the table, got ${accepted}`);
  // IPv6: the limit is per /48.
  const v6 = new RoutingTable(self, { perBucket: 2, perTable: 10 }, 20);
  let v6ok = 0;
  for (let i = 0; i < 50; i++) if (v6.update({ id: sha256(new Uint8Array([i, 3])), host: `2a01:4f8:1:${i.toString(16)}::1`, port: 1 }, now).status === 'added') v6ok++;
  assert.ok(v6ok <= 10, `at most 10 from one /48, got ${v6ok}`);
  // One endpoint, one id (60 keys on one socket take one entry, on loopback too).
  const lo = new RoutingTable(self, { perBucket: 2, perTable: 10 }, 20);
  let loOk = 0;
  for (let i = 0; i < 60; i++) if (lo.update({ id: sha256(new Uint8Array([i, 4])), host: '127.0.0.1', port: 5000 }, now).status === 'added') loOk++;
  assert.equal(loOk, 1);
  // RFC 6890: none of these is public.
  for (const h of ['100.64.0.1', '169.254.1.1', '224.0.0.1', '255.255.255.255', '0.1.2.3', '192.0.2.1', '198.18.0.1', '240.0.0.1', 'fe80::1', 'ff02::1', '2001:db8::1', '::']) {
    assert.notEqual(ipClass(h), 'public', h);
  }
  for (const h of ['8.8.8.8', '2a01:4f8::1']) assert.equal(ipClass(h), 'public', h);
});

test('a relayed private address: special, loopback and LAN addresses from a public sender are never pinged', { timeout: 60_000 }, async () => {
  const sent: string[] = [];
  const net = new SimNetwork({ seed: 5, latencyMs: [1, 5], onSend: (_from, to) => sent.push(to) });
  const mk = (host: string, label: string): KadNode => simNode(net, host, label);
  const victim = mk('44.1.1.1', 'relay-victim');
  const relay = mk('45.1.1.1', 'relay-relay');
  await victim.start();
  await relay.start();
  const bad = ['10.0.0.7', '127.0.0.1', '192.168.1.9', '255.255.255.255', '100.64.1.1', '169.254.3.3', '224.0.0.5', '::1', 'fc00::5', 'fe80::9'];
  // The relay's table holds them (seeded: the relay is the one lying or misconfigured).
  bad.forEach((h, i) => relay.table.seed({ id: sha256(new Uint8Array([i, 5])), idHex: toHex(sha256(new Uint8Array([i, 5]))), host: h, port: 30420, lastSeen: net.clock.now() }));
  void victim.ping('45.1.1.1', 30420);
  await net.clock.run();
  assert.ok(victim.table.has(relay.idHex));
  sent.length = 0;
  void victim.lookup(sha256(new Uint8Array([1])));
  await net.clock.run();
  const toBad = sent.filter((to) => bad.some((h) => to.startsWith(h + ':')));
  assert.deepEqual(toBad, [], 'nothing sent to a relayed special address');
  assert.ok(sent.some((to) => to.startsWith('45.1.1.1:')), 'the relay itself was queried');
  assert.equal(relayAllowed('127.0.0.1', '127.0.0.1'), true, 'loopback from loopback is fine (devnets)');
  assert.equal(relayAllowed('10.0.0.1', '10.0.0.2'), true, 'LAN from LAN is fine');
  void SimClock;
  await victim.stop();
  await relay.stop();
});

test('bounded map under a PING flood from many source ports: per-source state stays within its caps', { timeout: 60_000 }, async (t) => {
  const cap = 64;
  const victim = new KadNode({ ...quick, secretKey: kadKey('flood-victim').secretKey, maxSources: cap, requestBudget: { burst: 4, perSecond: 2 } });
  await victim.start();
  const sockets = await Promise.all(Array.from({ length: 200 }, async () => {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    return s;
  }));
  let replies = 0;
  for (const s of sockets) s.on('message', () => replies++);
  t.after(async () => {
    for (const s of sockets) s.close();
    await victim.stop();
  });
  let sentCount = 0;
  for (let round = 0; round < 5; round++) {
    for (const [i, s] of sockets.entries()) {
      const k = kadKey(`flooder${i}-${round}`);
      s.send(encodePacket({ requestId: BigInt(i), expiry: Date.now() + 20_000, body: { type: 'ping' } }, k.secretKey, k.publicKey), victim.port, '127.0.0.1');
      sentCount++;
    }
    await until('flood round received', () => victim.stats.received >= sentCount - 20, 20_000);
  }
  const st = victim.sourceState;
  assert.ok(st.provedTo <= cap && st.verified <= cap && st.budget <= cap, JSON.stringify(st));
  assert.ok(st.pending <= 2 * cap + 16, `pending ping-backs bounded: ${st.pending}`);
  // One source flooding: answered within its budget only.
  const one = sockets[0]!;
  const k = kadKey('one-source');
  let oneReplies = 0;
  one.removeAllListeners('message');
  one.on('message', () => oneReplies++);
  const before = victim.stats.received;
  const overBefore = victim.stats.dropped['over-budget'] ?? 0;
  const startedAt = Date.now();
  for (let i = 0; i < 100; i++) one.send(encodePacket({ requestId: BigInt(1000 + i), expiry: Date.now() + 20_000, body: { type: 'ping' } }, k.secretKey, k.publicKey), victim.port, '127.0.0.1');
  await until('burst received', () => victim.stats.received >= before + 100, 20_000);
  // The bucket refills while a loaded machine works through the burst: allow burst + refill over the time it took (+1 for rounding).
  const allowed = 4 + Math.ceil(2 * ((Date.now() - startedAt) / 1000)) + 1;
  const over = (victim.stats.dropped['over-budget'] ?? 0) - overBefore;
  assert.ok(over >= 100 - allowed, `over budget: expected >= ${100 - allowed}, got ${over}`);
  assert.ok(oneReplies <= allowed, `replies to one flooding source: expected <= ${allowed}, got ${oneReplies}`);
  void replies;
});

test('lazy bond: FIND_NODE from an unbonded key is answered only after its PONG to one PING no larger than the request; no PONG, no answer', { timeout: 30_000 }, async (t) => {
  const victim = new KadNode({ ...quick, secretKey: kadKey('lazy-victim').secretKey });
  for (let i = 0; i < 8; i++) victim.table.update({ id: sha256(new Uint8Array([8, i])), host: '127.0.0.1', port: 41000 + i }, Date.now());
  const asker = await ScriptedPeer.bind(kadKey('lazy-asker'));
  const silent = await ScriptedPeer.bind(kadKey('lazy-silent'));
  t.after(async () => {
    asker.close();
    silent.close();
    await victim.stop();
  });
  await victim.start();
  const findBytes = encodePacket({ requestId: 5n, expiry: Date.now() + 20_000, body: { type: 'find-node', target: new Uint8Array(32) } }, asker.key.secretKey, asker.key.publicKey).length;
  // An asker that answers PINGs: first a PING comes back (no NODES yet), then, after its PONG, the NODES.
  let nodesBeforePong = 0;
  let pinged = false;
  asker.onPacket = (p, host, port) => {
    if (p.body.type === 'nodes' && !pinged) nodesBeforePong++;
    if (p.body.type === 'ping') {
      pinged = true;
      asker.send(port, { type: 'pong', verified: true }, p.requestId, asker.key, host);
    }
  };
  asker.send(victim.port, { type: 'find-node', target: new Uint8Array(32) }, 5n);
  await until('NODES for the held FIND_NODE', () => asker.got.some((g) => g.p.body.type === 'nodes' && g.p.requestId === 5n));
  assert.equal(nodesBeforePong, 0, 'no NODES before the asker proved its endpoint');
  assert.equal(asker.got.filter((g) => g.p.body.type === 'ping').length, 1, 'one PING');
  assert.ok(victim.table.has(toHex(sha256(asker.key.publicKey))), 'the bonded asker entered the table');
  // A key that never answers (a spoofed source): one PING, no larger than its request, and nothing else.
  silent.send(victim.port, { type: 'find-node', target: new Uint8Array(32) }, 6n);
  await until('the PING to the silent key', () => silent.got.some((g) => g.p.body.type === 'ping'));
  // Past the held request's lifetime (3 x 300 ms), then a PING round trip to flush anything in flight.
  await new Promise((r) => setTimeout(r, 1200));
  const beforeFlush = silent.got.length;
  silent.send(victim.port, { type: 'ping' }, 7n);
  await until('pong', () => silent.got.some((g) => g.p.requestId === 7n));
  assert.deepEqual(silent.got.slice(0, beforeFlush).map((g) => g.p.body.type), ['ping'], 'a single PING, no NODES');
  assert.equal(silent.got.filter((g) => g.p.body.type === 'nodes').length, 0, 'never NODES');
  assert.ok(encodePacket({ requestId: 1n, expiry: Date.now(), body: { type: 'ping' } }, silent.key.secretKey, silent.key.publicKey).length <= findBytes, 'a PING is no larger than a FIND_NODE');
});
