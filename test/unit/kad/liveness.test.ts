// Liveness checks of table entries (simulator, seeded): revalidation and ping-before-evict are one
// check per entry, so an entry both due for revalidation and the oldest of a full bucket gets one
// PING (and its retries), not two, and a dead one leaves once with a replacement in its slot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimNetwork, type BodyType, type Datagram, type KadNode } from '../../../src/kad/index.js';
import { simNode } from './kad-helpers.js';

const typeOf = (d: Datagram): BodyType | undefined => (d instanceof Uint8Array ? undefined : d.body.type);
const PORT = 30420;

/**
 * A (k = 2) with B and C in its bucket 0, both verified 11 s ago, then C again just now: B is the
 * bucket's oldest and the one entry due for revalidation. D (same bucket) is the newcomer.
 */
async function fullBucket(seed: number, bDead: boolean): Promise<{ net: SimNetwork; a: KadNode; b: KadNode; d: KadNode; nodes: KadNode[]; pingsToB: () => number }> {
  let pings = 0;
  let counting = false;
  let bHost = '';
  const net = new SimNetwork({
    seed, latencyMs: [2, 10],
    onSend: (from, to, data) => { if (counting && from === `10.7.0.1:${PORT}` && to === `${bHost}:${PORT}` && typeOf(data) === 'ping') pings++; },
    // B answers slowly: a second check started while the first is out would be plain to see.
    delayIf: (from, _to, data) => (from === `${bHost}:${PORT}` && typeOf(data) === 'pong' ? 200 : 0),
  });
  const a = simNode(net, '10.7.0.1', `live-a-${seed}`, PORT, { k: 2 });
  await a.start();
  const others: KadNode[] = [];
  for (let i = 0; others.length < 3 && i < 200; i++) {
    const n = simNode(net, `10.7.1.${i + 1}`, `live-${seed}-${i}`);
    if (a.table.bucketIndex(n.id) === 0) others.push(n);
  }
  assert.equal(others.length, 3);
  const [b, c, d] = others as [KadNode, KadNode, KadNode];
  bHost = b.host;
  for (const n of others) await n.start();
  void a.ping(b.host, PORT, b.idHex);
  await net.clock.run();
  void a.ping(c.host, PORT, c.idHex);
  await net.clock.run();
  await net.clock.run(net.clock.now() + 11_000);
  void a.ping(c.host, PORT, c.idHex);
  await net.clock.run();
  assert.deepEqual([a.table.has(b.idHex), a.table.has(c.idHex), a.table.size], [true, true, 2], 'bucket 0 full with B and C');
  if (bDead) net.kill(b.host, PORT);
  counting = true;
  return { net, a, b, d, nodes: [a, ...others], pingsToB: () => pings };
}

test('ping-before-evict duplicating revalidation: an entry due for both gets one liveness check, not two', { timeout: 30_000 }, async (t) => {
  const { net, a, b, d, nodes, pingsToB } = await fullBucket(21, false);
  t.after(async () => { for (const n of nodes) await n.stop(); });
  const revalidated = a.revalidate();
  // While the revalidation PING to B is out, a newcomer to the full bucket asks for B's check.
  a.observe({ id: d.id, idHex: d.idHex, host: d.host, port: PORT, lastSeen: net.clock.monotonic() });
  await net.clock.run();
  await revalidated;
  assert.equal(pingsToB(), 1, `PINGs to B: ${pingsToB()}`);
  assert.ok(a.table.has(b.idHex), 'B answered and stays');
  assert.ok(!a.table.has(d.idHex), 'the newcomer waits as a replacement');
  assert.equal(a.table.get(b.idHex)?.checks, 1, 'the one check counts as B\'s revalidation');
});

test('a dead entry due for revalidation and eviction is checked once and leaves once: the newcomer takes its slot', { timeout: 30_000 }, async (t) => {
  const { net, a, b, d, nodes, pingsToB } = await fullBucket(22, true);
  t.after(async () => { for (const n of nodes) await n.stop(); });
  const revalidated = a.revalidate();
  a.observe({ id: d.id, idHex: d.idHex, host: d.host, port: PORT, lastSeen: net.clock.monotonic() });
  await net.clock.run();
  await revalidated;
  // One check: one PING and its retries (3 attempts by default).
  assert.equal(pingsToB(), 3, `PINGs to dead B: ${pingsToB()}`);
  assert.ok(!a.table.has(b.idHex), 'B left');
  assert.ok(a.table.has(d.idHex), 'the newcomer was promoted into B\'s slot');
});
