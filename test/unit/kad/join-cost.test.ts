// What a join and a first query cost on the wire (simulator, seeded): the exchange with the
// bootstrap is the four datagrams the endpoint-proof rule needs (FIND_NODE, the bootstrap's
// ping-back, our PONG, NODES), with no PING first and no ping-back of the bootstrap; and a peer
// that pings us to bond before it answers has our request: we wait for its answer rather than
// send the request again across it; and two nodes asking each other at once bond with one
// ping-back (the lower id waits for the higher one's), not two crossing.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { SimNetwork, type BodyType, type Datagram } from '../../../src/kad/index.js';
import { simNode } from './kad-helpers.js';

const typeOf = (d: Datagram): BodyType | undefined => (d instanceof Uint8Array ? undefined : d.body.type);

/**
 * Two nodes that know each other with no bond either way look up at the same moment, so each asks
 * the other; asserts that each got the other's answer.
 */
async function lookupsCrossing(t: TestContext, net: SimNetwork): Promise<void> {
  const a = simNode(net, '10.9.0.1', 'cross-a');
  const b = simNode(net, '10.9.0.2', 'cross-b');
  t.after(async () => { await a.stop(); await b.stop(); });
  await a.start();
  await b.start();
  a.observe({ id: b.id, idHex: b.idHex, host: '10.9.0.2', port: 30420, lastSeen: net.clock.now() });
  b.observe({ id: a.id, idHex: a.idHex, host: '10.9.0.1', port: 30420, lastSeen: net.clock.now() });
  const ra = a.lookup(new Uint8Array(32).fill(0x11));
  const rb = b.lookup(new Uint8Array(32).fill(0x22));
  await net.clock.run();
  assert.deepEqual([(await ra).closest.map((c) => c.idHex), (await rb).closest.map((c) => c.idHex)], [[b.idHex], [a.idHex]], 'each answered the other');
}

test('a join costs the bootstrap four datagrams: FIND_NODE, ping-back, PONG, NODES (no PING first, no ping-back of the bootstrap)', { timeout: 30_000 }, async () => {
  const A = '10.9.0.1:30420';
  const B = '10.9.0.2:30420';
  const between: string[] = [];
  const net = new SimNetwork({
    seed: 7, latencyMs: [2, 10],
    onSend: (from, to, d) => {
      if ((from === A && to === B) || (from === B && to === A)) between.push(`${from === A ? 'A>B' : 'B>A'} ${typeOf(d)}`);
    },
  });
  const b = simNode(net, '10.9.0.2', 'cost-b');
  const others = Array.from({ length: 25 }, (_, i) => simNode(net, `10.9.1.${i + 1}`, `cost-o${i}`, 30420, { autoJoin: true, bootstrap: [{ host: '10.9.0.2', port: 30420 }] }));
  await b.start();
  for (const o of others) await o.start();
  await net.clock.run();
  const a = simNode(net, '10.9.0.1', 'cost-a', 30420, { autoJoin: true, joinRefreshBuckets: 0, bootstrap: [{ host: '10.9.0.2', port: 30420 }] });
  await a.start();
  await net.clock.run();
  assert.ok(a.table.size >= 20, `the joiner's table filled: ${a.table.size}`);
  assert.ok(b.table.has(a.idHex), 'the bootstrap added the joiner');
  assert.deepEqual(between, ['A>B find-node', 'B>A ping', 'A>B pong', 'B>A nodes']);
  for (const n of [a, b, ...others]) await n.stop();
});

test('a retried FIND_NODE does not cross a slow answer: the peer\'s ping-back (its bond before answering) starts our wait over', { timeout: 30_000 }, async () => {
  const A = '10.9.0.1:30420';
  const B = '10.9.0.2:30420';
  let findNodes = 0;
  let nodes = 0;
  const net = new SimNetwork({
    seed: 9, latencyMs: [2, 10],
    onSend: (from, to, d) => {
      if (from === A && to === B && typeOf(d) === 'find-node') findNodes++;
      if (from === B && to === A && typeOf(d) === 'nodes') nodes++;
    },
    // B is slow: its ping-back and its answer each take 300 ms more. The answer reaches A about
    // 600 ms after the request, past A's first 500 ms wait but within a wait started at the ping-back.
    delayIf: (from, to, d) => (from === B && to === A && (typeOf(d) === 'ping' || typeOf(d) === 'nodes') ? 300 : 0),
  });
  const a = simNode(net, '10.9.0.1', 'slow-a');
  const b = simNode(net, '10.9.0.2', 'slow-b');
  await a.start();
  await b.start();
  // A knows B (no bond yet either way): its lookup's FIND_NODE to B is held while B pings A back.
  a.observe({ id: b.id, idHex: b.idHex, host: '10.9.0.2', port: 30420, lastSeen: net.clock.now() });
  const r = a.lookup(new Uint8Array(32).fill(0x5a));
  await net.clock.run();
  const res = await r;
  assert.equal(res.closest.length, 1, 'B answered');
  assert.equal(findNodes, 1, `FIND_NODEs sent to B: ${findNodes}`);
  assert.equal(nodes, 1, `NODES replies from B: ${nodes}`);
  for (const n of [a, b]) await n.stop();
});

test('ping-backs crossing: two nodes that ask each other at once bond with one ping-back, not two, and both get answers', { timeout: 30_000 }, async (t) => {
  const A = '10.9.0.1:30420';
  const B = '10.9.0.2:30420';
  const sent: string[] = [];
  const net = new SimNetwork({
    seed: 11, latencyMs: [2, 10],
    onSend: (from, to, d) => { if ((from === A && to === B) || (from === B && to === A)) sent.push(`${from === A ? 'A>B' : 'B>A'} ${typeOf(d)}`); },
  });
  await lookupsCrossing(t, net);
  const count = (type: string): number => sent.filter((s) => s.endsWith(` ${type}`)).length;
  assert.deepEqual({ findNode: count('find-node'), ping: count('ping'), pong: count('pong'), nodes: count('nodes') }, { findNode: 2, ping: 1, pong: 1, nodes: 2 }, sent.join(', '));
});

test('ping-backs crossing with the one ping-back lost: the retries still bond both and both get answers', { timeout: 30_000 }, async (t) => {
  let dropped = 0;
  const net = new SimNetwork({ seed: 12, latencyMs: [2, 10], dropIf: (_f, _t, d) => typeOf(d) === 'ping' && dropped++ === 0 });
  await lookupsCrossing(t, net);
  assert.equal(dropped > 0, true, 'a PING was dropped');
});
