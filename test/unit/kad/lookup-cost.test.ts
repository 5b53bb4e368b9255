// What one lookup costs and what holds it up: dead candidates (simulator, 30% of nodes dead), a
// lost bond datagram (simulator, dropped on purpose), and retries fired by a stalled event loop
// while the answer sits unread in the socket buffer (real UDP).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KadNode, SimNetwork, compareDistance, type BodyType, type Datagram } from '../../../src/kad/index.js';
import { sha256 } from '../../../src/crypto/index.js';
import { kadKey, until } from './kad-helpers.js';

const typeOf = (d: Datagram): BodyType | undefined => (d instanceof Uint8Array ? undefined : d.body.type);
const PORT = 30420;

/** A network of `n` nodes joined through the protocol on the simulator (node 0 is the bootstrap). */
async function joinedNetwork(net: SimNetwork, n: number, label: string): Promise<KadNode[]> {
  const nodes: KadNode[] = [];
  for (let i = 0; i < n; i++) {
    const node = new KadNode({
      secretKey: kadKey(`${label}-${i}`).secretKey, transport: net.transport(`10.7.${i >> 8}.${(i & 255) + 1}`, PORT), clock: net.clock,
      random: () => net.random(), maintenance: false, bootstrap: i ? [{ host: '10.7.0.1', port: PORT }] : [],
    });
    await node.start();
    nodes.push(node);
    await net.clock.run();
  }
  return nodes;
}

test('dead30: a dead candidate is asked at most twice, so it holds a lookup for 3 timeouts instead of 7; the live closest are still found', { timeout: 120_000 }, async () => {
  const asks = new Map<string, number>();
  let asker = '';
  const net = new SimNetwork({
    seed: 30, latencyMs: [5, 40],
    onSend: (from, to, d) => {
      if (from === asker && typeOf(d) === 'find-node') asks.set(to, (asks.get(to) ?? 0) + 1);
    },
  });
  const nodes = await joinedNetwork(net, 80, 'dead30');
  const a = nodes[1]!;
  asker = `${a.host}:${a.port}`;
  // Seeded choice of the dead: every third node past the first two.
  const dead = nodes.filter((_, i) => i >= 2 && i % 3 === 0);
  for (const d of dead) net.kill(d.host, d.port);
  const deadEndpoints = new Set(dead.map((d) => `${d.host}:${d.port}`));
  const live = nodes.filter((n) => !dead.includes(n) && n !== a);
  let recall = 0;
  const targets = [0, 1, 2, 3, 4].map((i) => sha256(new Uint8Array([30, i])));
  for (const target of targets) {
    asks.clear();
    const pending = a.lookup(target);
    await net.clock.run();
    const r = await pending;
    const deadAsked = [...asks].filter(([to]) => deadEndpoints.has(to));
    assert.ok(deadAsked.length > 0, 'the lookup met dead candidates');
    for (const [to, n] of deadAsked) assert.ok(n <= 2, `dead candidate ${to} asked ${n} times`);
    const truth = live.map((n) => n.id).sort((x, y) => compareDistance(target, x, y)).slice(0, 8);
    const got = new Set(r.closest.slice(0, 8).map((c) => c.idHex));
    recall += truth.filter((id) => got.has(Buffer.from(id).toString('hex'))).length / 8;
  }
  assert.ok(recall / targets.length >= 0.95, `recall@8 among the live nodes: ${recall / targets.length}`);
  for (const n of nodes) await n.stop();
});

test('a lost bond PING costs a lookup query one retry (a fresh bond PING answers it), not its last attempt', { timeout: 60_000 }, async () => {
  let dropped = 0;
  let findsToB = 0;
  let ends: { a: string; b: string } | undefined;
  const net = new SimNetwork({
    seed: 31, latencyMs: [5, 20],
    dropIf: (from, to, d) => {
      if (!ends || from !== ends.b || to !== ends.a || typeOf(d) !== 'ping' || dropped) return false;
      dropped++;
      return true;
    },
    onSend: (from, to, d) => {
      if (ends && from === ends.a && to === ends.b && typeOf(d) === 'find-node') findsToB++;
    },
  });
  const nodes = await joinedNetwork(net, 30, 'bondloss');
  // B: a node the asker has never exchanged with (B has not verified it), found in the asker's lookup.
  const a = nodes[29]!;
  const b = nodes.find((n) => n !== a && n !== nodes[0] && !n.table.has(a.idHex) && !a.table.has(n.idHex));
  assert.ok(b, 'a node unbonded with the asker');
  ends = { a: `${a.host}:${a.port}`, b: `${b.host}:${b.port}` };
  const pending = a.lookup(b.id);
  await net.clock.run();
  const r = await pending;
  assert.equal(dropped, 1, 'the bond PING from B was dropped');
  assert.ok(r.closest.some((c) => c.idHex === b.idHex), 'B answered the lookup');
  assert.equal(findsToB, 2, 'one retry of the FIND_NODE, answered');
  for (const n of nodes) await n.stop();
});

test('a reply queued behind a stalled event loop is not re-requested: one PING, no retry', { timeout: 30_000 }, async (t) => {
  // B does not ping A back (endpoint proof off on B): every datagram counted is A's PING or a
  // retry of it. With the ping-back, A's PONG to it raced the assertions (it is no retry either).
  const mk = (label: string, endpointProof = true): KadNode => new KadNode({ secretKey: kadKey(label).secretKey, host: '127.0.0.1', port: 0, maintenance: false, autoJoin: false, endpointProof });
  const a = mk('stall-a');
  const b = mk('stall-b', false);
  t.after(async () => {
    await a.stop();
    await b.stop();
  });
  await a.start();
  await b.start();
  const sentBefore = a.stats.sent;
  const pong = a.ping('127.0.0.1', b.port, b.idHex);
  // The loop is stalled (CPU-bound work, e.g. many nodes in one process) well past the timeout:
  // B's PING and A's PONG wait in socket buffers, and the expired timer runs before they are read.
  const end = Date.now() + 1500;
  while (Date.now() < end) { /* stall */ }
  assert.ok(await pong, 'the PONG arrived');
  await until('B has nothing more to answer', () => b.stats.received >= 1);
  assert.equal(a.stats.sent - sentBefore, 1, 'A sent one PING');
  assert.equal(b.stats.received, 1, 'B received one PING');
});

test('a lookup\'s PINGs are one ping-back per node asked for the first time: none from a node already holding the asker\'s proof, none twice', { timeout: 60_000 }, async () => {
  let asker = '';
  let log: { from: string; to: string; type: BodyType | undefined }[] = [];
  const net = new SimNetwork({ seed: 32, latencyMs: [5, 20], onSend: (from, to, d) => log.push({ from, to, type: typeOf(d) }) });
  const nodes = await joinedNetwork(net, 40, 'pingbacks');
  const a = nodes[39]!;
  asker = `${a.host}:${a.port}`;
  const pingBacks = (): number => nodes.reduce((s, n) => s + n.stats.pingBacks, 0);
  const run = async (target: Uint8Array): Promise<{ asked: Set<string>; pingsToAsker: Map<string, number>; pings: number; counted: number }> => {
    log = [];
    const before = pingBacks();
    const pending = a.lookup(target);
    await net.clock.run();
    await pending;
    const asked = new Set(log.filter((e) => e.from === asker && e.type === 'find-node').map((e) => e.to));
    const pingsToAsker = new Map<string, number>();
    for (const e of log) if (e.to === asker && e.type === 'ping') pingsToAsker.set(e.from, (pingsToAsker.get(e.from) ?? 0) + 1);
    return { asked, pingsToAsker, pings: log.filter((e) => e.type === 'ping').length, counted: pingBacks() - before };
  };
  const target = sha256(new Uint8Array([32, 1]));
  const first = await run(target);
  assert.ok(first.pingsToAsker.size > 0, 'the asker met nodes it had never bonded with');
  for (const [from, n] of first.pingsToAsker) {
    assert.equal(n, 1, `${from} pinged the asker ${n} times`);
    assert.ok(first.asked.has(from), `${from} pinged the asker without being asked`);
  }
  // Every PING of the lookup is a ping-back to the asker, and each is counted in stats.pingBacks.
  assert.equal(first.pings, first.pingsToAsker.size);
  assert.equal(first.counted, first.pings);
  // The same lookup again: every node asked the first time holds the asker's proof; it answers at once.
  const second = await run(target);
  for (const from of second.pingsToAsker.keys()) assert.ok(!first.asked.has(from), `${from} pinged the asker again despite its proof`);
  assert.ok(second.pings < first.pings, `second lookup: ${second.pings} PINGs, first ${first.pings}`);
  for (const n of nodes) await n.stop();
});
