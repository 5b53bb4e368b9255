// Joins that survive a real network: a datagram lost at each step of a join (simulator, dropped
// on purpose), nodes started in any order with one bootstrap (real UDP), nodes stopped in the
// middle of lookups (real UDP, no unhandled socket error), and a restart from the saved table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KadNode, SimNetwork, type BodyType, type Datagram, type PeerRecord, type TablePersistence } from '../../../src/kad/index.js';
import { kadKey, reservePort, until } from './kad-helpers.js';

const typeOf = (d: Datagram): BodyType | undefined => (d instanceof Uint8Array ? undefined : d.body.type);

// The steps of a join of A through B: A asks B for its own id (FIND_NODE), B holds it and pings A
// back, A pongs that, B answers (NODES: one datagram, k records fit); then A's self lookup goes on
// from that answer, asking others (A's FIND_NODE to them). Each is dropped once, in its direction.
const steps: { name: string; from: 'A' | 'B'; type: BodyType; nth?: number }[] = [
  { name: 'FIND_NODE to the bootstrap', from: 'A', type: 'find-node' },
  { name: 'ping-back from the bootstrap', from: 'B', type: 'ping' },
  { name: 'PONG to the ping-back', from: 'A', type: 'pong' },
  { name: 'NODES from the bootstrap', from: 'B', type: 'nodes' },
  { name: 'a later FIND_NODE to the bootstrap', from: 'A', type: 'find-node', nth: 2 },
];

for (const step of steps) {
  test(`a lost datagram at each step of a join: ${step.name}`, { timeout: 30_000 }, async () => {
    const A = '10.9.0.1:30420';
    const B = '10.9.0.2:30420';
    let seen = 0;
    let dropped = false;
    const net = new SimNetwork({
      seed: 3, latencyMs: [2, 10],
      dropIf: (from, to, d) => {
        if (dropped || from !== (step.from === 'A' ? A : B) || to !== (step.from === 'A' ? B : A) || typeOf(d) !== step.type) return false;
        if (++seen < (step.nth ?? 1)) return false;
        dropped = true;
        return true;
      },
    });
    const mk = (host: string, label: string, boot?: string): KadNode => new KadNode({
      secretKey: kadKey(label).secretKey, transport: net.transport(host, 30420), clock: net.clock, random: () => net.random(),
      maintenance: false, bootstrap: boot ? [{ host: boot, port: 30420 }] : [],
    });
    const b = mk('10.9.0.2', 'join-b');
    const others = Array.from({ length: 25 }, (_, i) => mk(`10.9.1.${i + 1}`, `join-o${i}`, '10.9.0.2'));
    await b.start();
    for (const o of others) await o.start();
    await net.clock.run();
    assert.ok(b.table.size >= 20, `bootstrap knows the others: ${b.table.size}`);
    const a = mk('10.9.0.1', 'join-a', '10.9.0.2');
    await a.start();
    await net.clock.run();
    assert.ok(dropped, 'the datagram was dropped');
    assert.ok(b.table.has(a.idHex), 'the bootstrap added the joiner');
    assert.ok(a.table.size >= 20, `the joiner's table filled despite the loss: ${a.table.size}`);
    for (const n of [a, b, ...others]) await n.stop();
  });
}

// The ping-back that bonds an unbonded asker was sent once; while it was out, the asker's retries
// were held without a new PING, and adaptive timeouts made the asker give up (about 1.4 s) before
// the ping-back's 1 s window ended. One lost PING or PONG of the bond lost the held FIND_NODE: the
// self lookup of a join came back empty (the 2% loss recall regression of kad.join2k).
for (const step of steps.filter((s) => s.name.includes('ping-back'))) {
  test(`a held request is not lost with its ping-back: ${step.name} lost, the self lookup still gets its answer`, { timeout: 30_000 }, async () => {
    const A = '10.9.0.1:30420';
    const B = '10.9.0.2:30420';
    let dropped = false;
    const net = new SimNetwork({
      seed: 5, latencyMs: [2, 10],
      dropIf: (from, to, d) => {
        if (dropped || from !== (step.from === 'A' ? A : B) || to !== (step.from === 'A' ? B : A) || typeOf(d) !== step.type) return false;
        dropped = true;
        return true;
      },
    });
    const mk = (host: string, label: string, boot?: string, extra: { joinRefreshBuckets?: number } = {}): KadNode => new KadNode({
      secretKey: kadKey(label).secretKey, transport: net.transport(host, 30420), clock: net.clock, random: () => net.random(),
      maintenance: false, bootstrap: boot ? [{ host: boot, port: 30420 }] : [], ...extra,
    });
    const b = mk('10.9.0.2', 'hold-b');
    const others = Array.from({ length: 25 }, (_, i) => mk(`10.9.1.${i + 1}`, `hold-o${i}`, '10.9.0.2'));
    await b.start();
    for (const o of others) await o.start();
    await net.clock.run();
    // No bucket refresh after the self lookup: the table fills from the self lookup alone.
    const a = mk('10.9.0.1', 'hold-a', '10.9.0.2', { joinRefreshBuckets: 0 });
    await a.start();
    await net.clock.run();
    assert.ok(dropped, 'the datagram was dropped');
    assert.ok(b.table.has(a.idHex), 'the bootstrap added the joiner');
    assert.ok(a.table.size >= 20, `the self lookup filled the joiner's table: ${a.table.size}`);
    for (const n of [a, b, ...others]) await n.stop();
  });
}

test('nodes started in any order find each other (one bootstrap, started last, first or between)', { timeout: 120_000 }, async (t) => {
  const orders = [[0, 1, 2], [1, 2, 0], [2, 0, 1], [1, 0, 2]];
  const all: KadNode[] = [];
  t.after(async () => { for (const n of all) await n.stop(); });
  for (const [o, order] of orders.entries()) {
    const bootPort = await reservePort();
    const nodes = [0, 1, 2].map((i) => new KadNode({
      secretKey: kadKey(`order${o}-${i}`).secretKey, host: '127.0.0.1', port: i === 0 ? bootPort : 0,
      bootstrap: i === 0 ? [] : [{ host: '127.0.0.1', port: bootPort }], responseTimeoutMs: 300, backoffMaxMs: 1000,
    }));
    all.push(...nodes);
    for (const i of order) {
      await nodes[i]!.start();
      // The next one starts while this one's join is still in flight (no waiting between starts).
      await new Promise((r) => setImmediate(r));
    }
    await until(`order ${order.join(',')}: every node knows both others`, () => nodes.every((n) => n.table.size === 2), 60_000);
    for (const n of nodes) await n.stop();
  }
});

test('stopping nodes mid-lookup: lookups end, no unhandled ERR_SOCKET_DGRAM_NOT_RUNNING', { timeout: 60_000 }, async (t) => {
  const errors: unknown[] = [];
  const onErr = (e: unknown): void => void errors.push(e);
  process.on('uncaughtException', onErr);
  process.on('unhandledRejection', onErr);
  const nodes: KadNode[] = [];
  t.after(async () => {
    process.off('uncaughtException', onErr);
    process.off('unhandledRejection', onErr);
    for (const n of nodes) await n.stop();
  });
  const seed = new KadNode({ secretKey: kadKey('mid-0').secretKey, host: '127.0.0.1', port: 0, maintenance: false, autoJoin: false });
  await seed.start();
  nodes.push(seed);
  for (let i = 1; i < 12; i++) {
    const n = new KadNode({ secretKey: kadKey(`mid-${i}`).secretKey, host: '127.0.0.1', port: 0, maintenance: false, bootstrap: [{ host: '127.0.0.1', port: seed.port }] });
    await n.start();
    await n.join();
    nodes.push(n);
  }
  // Lookups everywhere, then half the nodes (the queried ones too) stop while they run.
  const lookups = nodes.flatMap((n) => [0, 1, 2].map((j) => n.lookup(new Uint8Array(32).fill(j * 40 + nodes.indexOf(n)))));
  await new Promise((r) => setImmediate(r));
  await Promise.all(nodes.filter((_, i) => i % 2 === 0).map((n) => n.stop()));
  const results = await Promise.all(lookups);
  assert.equal(results.length, 36, 'every lookup resolved');
  // Stopped nodes send nothing more; a fresh lookup on a stopped node resolves at once.
  const r = await nodes[0]!.lookup(new Uint8Array(32));
  assert.equal(r.closest.length, 0);
  await new Promise((r2) => setTimeout(r2, 300));
  assert.deepEqual(errors.map(String), []);
});

class MemoryTable implements TablePersistence {
  records: PeerRecord[] = [];
  loads = 0;
  async load() { this.loads++; return this.records; }
  async save(r: PeerRecord[]) { this.records = r; }
}

test('a restart uses the saved table before the bootstrap', { timeout: 60_000 }, async (t) => {
  const nodes: KadNode[] = [];
  t.after(async () => { for (const n of nodes) await n.stop(); });
  const seed = new KadNode({ secretKey: kadKey('rs-seed').secretKey, host: '127.0.0.1', port: 0, maintenance: false });
  await seed.start();
  nodes.push(seed);
  for (let i = 0; i < 5; i++) {
    const n = new KadNode({ secretKey: kadKey(`rs-${i}`).secretKey, host: '127.0.0.1', port: 0, maintenance: false, bootstrap: [{ host: '127.0.0.1', port: seed.port }] });
    await n.start();
    await n.join();
    nodes.push(n);
  }
  const mem = new MemoryTable();
  const me = new KadNode({ secretKey: kadKey('rs-me').secretKey, host: '127.0.0.1', port: 0, maintenance: false, persistence: mem, bootstrap: [{ host: '127.0.0.1', port: seed.port }] });
  await me.start();
  await me.join();
  await me.stop();
  assert.ok(mem.records.length >= 5);
  // Restart: the bootstrap is gone; the saved table alone rejoins.
  await seed.stop();
  const again = new KadNode({ secretKey: kadKey('rs-me').secretKey, host: '127.0.0.1', port: 0, maintenance: false, persistence: mem, bootstrap: [{ host: '127.0.0.1', port: seed.port }] });
  nodes.push(again);
  await again.start();
  await again.join();
  assert.ok(again.table.size >= 5, `rejoined from the saved table: ${again.table.size}`);
  assert.ok(!again.table.has(seed.idHex));
});
