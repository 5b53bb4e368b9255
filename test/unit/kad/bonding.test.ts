// Bonding under load: a signed answer that arrives after its request gave up (a loaded peer's socket
// queue, e.g. a bootstrap while 150 nodes join in one process) still proves the endpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KadNode, RoutingTable, SimNetwork, type BodyType, type Datagram } from '../../../src/kad/index.js';
import { sha256 } from '../../../src/crypto/index.js';
import { kadKey, simNode } from './kad-helpers.js';

const typeOf = (d: Datagram): BodyType | undefined => (d instanceof Uint8Array ? undefined : d.body.type);
const PORT = 30420;

test('a late PONG to a ping-back still bonds its signer (it arrived after the ping-back timed out)', { timeout: 30_000 }, async () => {
  const A = `10.9.0.1:${PORT}`;
  const B = `10.9.0.2:${PORT}`;
  let delayed = 0;
  const net = new SimNetwork({
    seed: 7, latencyMs: [2, 10],
    // A's PONG to B's ping-back arrives 1.5 s late: past the ping-back's 1 s window, within the
    // time a late answer is remembered.
    delayIf: (from, to, d) => (from === A && to === B && typeOf(d) === 'pong' ? (delayed++, 1500) : 0),
  });
  const mk = (host: string, label: string): KadNode => simNode(net, host, label, PORT);
  const a = mk('10.9.0.1', 'late-a');
  const b = mk('10.9.0.2', 'late-b');
  await a.start();
  await b.start();
  const pinged = a.ping('10.9.0.2', PORT, b.idHex);
  await net.clock.run();
  assert.ok(await pinged, 'A bonded B (B answered its PING on time)');
  assert.equal(delayed, 1, "A's PONG to B's one ping-back was delayed");
  assert.equal(b.stats.dropped.unsolicited, 0, 'the late PONG was not dropped as unsolicited');
  assert.ok(b.table.has(a.idHex), 'B bonded A from the late PONG');
  // Bonded: B now answers A's FIND_NODE at once (one request, one reply, no new ping-back).
  const sentBefore = b.stats.sent;
  const r = a.lookup(b.id);
  await net.clock.run();
  assert.ok((await r).closest.some((c) => c.idHex === b.idHex), "A's lookup got B's answer");
  assert.equal(b.stats.sent - sentBefore, 1, 'B answered with one NODES packet and pinged nobody');
  await a.stop();
  await b.stop();
});

test('revalidation does not ping an entry verified seconds ago, nor the same first entry in every fresh table', () => {
  const self = kadKey('reval-self');
  const table = new RoutingTable(sha256(self.publicKey));
  const ids = Array.from({ length: 6 }, (_, i) => sha256(kadKey(`reval-${i}`).publicKey));
  // Learned one after another, a millisecond apart: the first (a bootstrap, say) is the least recently verified.
  ids.forEach((id, i) => table.update({ id, host: '127.0.0.1', port: 40000 + i }, 1000 + i));
  assert.equal(table.nextToRevalidate(true, 1000 + 2000, 3000), undefined, 'verified 2 s ago: not due for a 3 s revalidation');
  assert.equal(table.nextToRevalidate(false, 1000 + 5000, 9000), undefined, 'settled entries verified 5 s ago: not due for a 9 s revalidation');
  let state = 11;
  const random = (): number => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const picked = new Set<string>();
  for (let i = 0; i < 30; i++) picked.add(table.nextToRevalidate(true, 1000 + 3010, 3000, random)!.idHex);
  assert.ok(picked.size >= 3, `new entries due are picked at random, not always the oldest: ${picked.size} distinct of 6`);
});

test('revalidation does not ping a new entry that answered us a revalidation interval after it was added (it passed that check already)', () => {
  const table = new RoutingTable(sha256(kadKey('reval2-self').publicKey));
  const [a, b] = [sha256(kadKey('reval2-a').publicKey), sha256(kadKey('reval2-b').publicKey)];
  table.update({ id: a, host: '127.0.0.1', port: 40100 }, 1000);
  table.update({ id: b, host: '127.0.0.1', port: 40101 }, 1000);
  // `a` answered one of our requests 4 s after it was added (a lookup asked it); `b` was not heard from again.
  table.update({ id: a, host: '127.0.0.1', port: 40100 }, 5000);
  const due = new Set<string>();
  for (let i = 0; i < 10; i++) due.add(table.nextToRevalidate(true, 9000, 3000, () => i / 10)?.idHex ?? 'none');
  assert.deepEqual([...due], [table.get(Buffer.from(b).toString('hex'))!.idHex], 'only the entry not heard from since it was added is due');
  // Once it is quiet for a settled interval it is due again, with the settled entries.
  assert.equal(table.nextToRevalidate(false, 5000 + 9000, 9000)?.idHex !== undefined, true);
});

test('retry storm at a loaded peer: once answers are measured slower than the timeout ceiling, a PING is not sent twice', { timeout: 30_000 }, async () => {
  // Every datagram takes 600-700 ms each way (a peer whose queue is that long): answers come,
  // after the 500 ms ceiling. Retrying at the ceiling only queued a duplicate behind the original.
  const net = new SimNetwork({ seed: 9, latencyMs: [600, 700] });
  const pings: number[] = [];
  let current = -1;
  const mk = (host: string, label: string): KadNode => simNode(net, host, label, PORT);
  const a = mk('10.9.0.1', 'slow-a');
  const b = mk('10.9.0.2', 'slow-b');
  await a.start();
  await b.start();
  for (let i = 0; i < 8; i++) {
    current = i;
    const before = a.stats.sent;
    const r = a.ping('10.9.0.2', PORT, b.idHex);
    await net.clock.run();
    assert.ok(await r, `ping ${i} answered`);
    pings[current] = a.stats.sent - before;
  }
  assert.ok(pings[0]! >= 2, `the first PING, before any measurement, was retried: ${pings[0]}`);
  assert.deepEqual(pings.slice(4), [1, 1, 1, 1], `once measured, one PING each: ${pings.join(',')}`);
  await a.stop();
  await b.stop();
});

test('ping-before-evict storm: a full bucket pings its oldest entry once per interval, not once per newcomer', { timeout: 30_000 }, async () => {
  // PINGs from A to the entries already in its bucket (the ping-before-evict ones), once counting.
  const entries = new Set<string>();
  let evictPings = 0;
  const net = new SimNetwork({
    seed: 13, latencyMs: [2, 10],
    onSend: (from, to, d) => { if (from === `10.8.0.1:${PORT}` && entries.has(to) && typeOf(d) === 'ping') evictPings++; },
  });
  const mk = (host: string, label: string, k = 20): KadNode => simNode(net, host, label, PORT, { k });
  const a = mk('10.8.0.1', 'evict-a', 4);
  await a.start();
  // Nodes whose ids fall in A's bucket 0 (first bit differs), found by label in a fixed order.
  const others: KadNode[] = [];
  for (let i = 0; others.length < 8 && i < 200; i++) {
    const n = mk(`10.8.1.${i + 1}`, `evict-${i}`);
    if (a.table.bucketIndex(n.id) === 0) others.push(n);
  }
  assert.equal(others.length, 8);
  for (const n of others) await n.start();
  for (const n of others.slice(0, 4)) void a.ping(n.host, PORT, n.idHex);
  await net.clock.run();
  assert.equal(a.table.size, 4, 'bucket 0 is full (k = 4)');
  // Long enough that no entry counts as freshly verified.
  await net.clock.run(net.clock.now() + 11_000);
  for (const n of others.slice(0, 4)) entries.add(`${n.host}:${PORT}`);
  for (const n of others.slice(4)) {
    void a.ping(n.host, PORT, n.idHex);
    await net.clock.run();
  }
  assert.equal(evictPings, 1, `four newcomers to the full bucket cost one ping-before-evict: ${evictPings}`);
  assert.equal(a.table.size, 4, 'the answering entries stay; the newcomers wait as replacements');
  for (const n of [a, ...others]) await n.stop();
});
