// /metrics: Prometheus text from prom-client when the server runs with metrics on (the node's
// --metrics), with kadchain_ series that agree with /api/status; a 404 otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StatusJson } from '../../../src/api/index.js';
import { extend } from '../../helpers/chain-helpers.js';
import { startApi, FAKE_PEERS } from './api-harness.js';

function series(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('metrics: /metrics serves kadchain_ series whose height matches /api/status', async (t) => {
  const h = await startApi({
    metrics: true,
    view: {
      peers: () => FAKE_PEERS,
      mining: () => ({ enabled: true, hashrate: 4321 }),
      counters: () => ({ blocksReceived: 7, txsReceived: 3, peersBanned: 1, connectsThrottled: 9, handshakesThrottled: 4, lookups: 2, lookupRounds: 5, syncProgress: 1 }),
    },
  });
  t.after(() => h.close());
  await extend(h.chain, 3);
  await fetch(h.url + '/api/blocks?limit=2'); // one timed request before the scrape
  const status = (await (await fetch(h.url + '/api/status')).json()) as StatusJson;
  const r = await fetch(h.url + '/metrics');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await r.text();
  assert.equal(series(text, 'kadchain_chain_height'), status.height);
  assert.equal(status.height, 3);
  assert.equal(series(text, 'kadchain_peers_table'), FAKE_PEERS.table.length);
  assert.equal(series(text, 'kadchain_peers_connected'), FAKE_PEERS.connected.length);
  assert.equal(series(text, 'kadchain_peers_banned'), 1);
  assert.equal(series(text, 'kadchain_miner_hashrate'), 4321);
  assert.equal(series(text, 'kadchain_blocks_received_total'), 7);
  assert.equal(series(text, 'kadchain_kad_lookup_rounds_total'), 5);
  assert.equal(series(text, 'kadchain_p2p_connects_throttled_total'), 9);
  assert.equal(series(text, 'kadchain_p2p_handshakes_throttled_total'), 4);
  assert.equal(series(text, 'kadchain_mempool_txs'), 0);
  assert.equal(series(text, 'kadchain_chain_reorgs_total'), 0);
  assert.ok(Number(series(text, 'kadchain_chain_work')) > 0);
  assert.match(text, /kadchain_http_request_duration_seconds_bucket\{[^}]*route="blocks"/);
  assert.match(text, /^process_cpu_user_seconds_total /m, 'default process metrics');
  // A series the node does not keep is absent, not a constant 0.
  assert.equal(series(text, 'kadchain_blocks_relayed_total'), undefined);
});

test('metrics: without --metrics, /metrics is a 404', async (t) => {
  const h = await startApi();
  t.after(() => h.close());
  const r = await fetch(h.url + '/metrics');
  assert.equal(r.status, 404);
  assert.equal(((await r.json()) as { reason: string }).reason, 'not-found');
});

test('metrics: odd paths get one bounded route label, not one series each', async (t) => {
  const h = await startApi({ metrics: true });
  t.after(() => h.close());
  for (let i = 0; i < 5; i++) await fetch(h.url + `/api/nosuch${i}`);
  const text = await (await fetch(h.url + '/metrics')).text();
  assert.doesNotMatch(text, /nosuch/);
  assert.match(text, /route="other"/);
});
