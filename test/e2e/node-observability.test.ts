// What a running node tells an operator, on two real nodes over 127.0.0.1: /metrics with
// --metrics (height agrees with /api/status; 404 without), the lookup history kad keeps (round by
// round), and the propagation record kept at the gossip edge (first seen from whom, per-peer
// announcements) — the data behind the explorer's lookup and propagation views.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LookupJson, PropagationJson, StatusJson } from '../../src/api/index.js';
import { childOf, tipEntry } from '../helpers/chain-helpers.js';
import { testNet, waitUntil } from '../helpers/node-helpers.js';

async function json<T>(url: string): Promise<T> {
  const r = await fetch(url);
  assert.equal(r.status, 200, url);
  return (await r.json()) as T;
}

test('node observability: metrics, lookup history and block propagation on a real pair of nodes', { timeout: 90_000 }, async (t) => {
  const net = testNet({}, t);
  const a = await net.start({ metrics: true });
  const b = await net.start({ bootstrap: [a] });
  await waitUntil('peers connected', () => a.net.peers().length >= 1 && b.net.peers().length >= 1, 30_000);

  const block = await childOf(a.chain, await tipEntry(a.chain));
  assert.equal((await a.chain.submitBlock(block)).status, 'connected');
  await waitUntil('b has the block', () => b.chain.tip.height === 1, 30_000);

  // Propagation on b: first seen from a, with a's announcement; on a: mined here.
  await waitUntil('b recorded it', async () => (await json<PropagationJson[]>(b.apiUrl + '/api/propagation')).some((p) => p.id === a.chain.tip.idHex && p.height === 1), 10_000);
  const atB = (await json<PropagationJson[]>(b.apiUrl + '/api/propagation')).find((p) => p.id === a.chain.tip.idHex)!;
  assert.equal(atB.firstFrom, a.nodeId);
  assert.ok(atB.announcements.some((x) => x.peer === a.nodeId));
  assert.ok(atB.connectedAt !== null && atB.connectedAt >= atB.firstSeenAt);
  const atA = (await json<PropagationJson[]>(a.apiUrl + '/api/propagation')).find((p) => p.id === a.chain.tip.idHex)!;
  assert.equal(atA.firstFrom, 'local');

  // b joined through a: its join lookup is in the history, round by round.
  const lookups = await json<LookupJson[]>(b.apiUrl + '/api/lookups');
  assert.ok(lookups.length >= 1, 'b ran a lookup when it joined');
  const asked = lookups.flatMap((l) => l.rounds).reduce((s, r) => s + r.asked, 0);
  assert.ok(asked >= 1, 'a lookup asked at least one contact');

  // /metrics on a (--metrics) agrees with /api/status; b (no --metrics) answers 404.
  const status = await json<StatusJson>(a.apiUrl + '/api/status');
  const text = await (await fetch(a.apiUrl + '/metrics')).text();
  const height = /^kadchain_chain_height (\d+)$/m.exec(text);
  assert.equal(Number(height?.[1]), status.height);
  assert.match(text, /^kadchain_peers_connected 1$/m);
  assert.match(text, /^kadchain_kad_lookups_total \d+$/m);
  assert.match(text, /^kadchain_p2p_connects_throttled_total 0$/m, 'a node wired to the listener reports its throttled connects');
  assert.match(text, /^kadchain_p2p_handshakes_throttled_total 0$/m, 'and its handshakes refused for the global budget');
  assert.equal((await fetch(b.apiUrl + '/metrics')).status, 404);
});
