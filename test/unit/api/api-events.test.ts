// /api/events over a real WebSocket: a hello with the status on connect, then block, tx, reorg
// and peer events as they happen; stop() closes every event client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { blockIdHex, txToJson, txIdHex } from '../../../src/core/index.js';
import { transfer, testAddress } from '../../helpers/fixtures.js';
import { extend, childOf, tipEntry } from '../../helpers/chain-helpers.js';
import { startApi, EventClient, type ApiHarness } from './api-harness.js';

let h: ApiHarness;
before(async () => {
  h = await startApi();
});
after(async () => {
  await h.close();
});

test('a new client first gets a hello with the status', async () => {
  const c = await EventClient.connect(h.url);
  try {
    const hello = await c.next((m) => m.type === 'hello');
    assert.equal(hello.genesis, h.chain.genesis.idHex);
    assert.equal(hello.height, h.chain.tip.height);
    assert.equal((hello.data as { tip: string }).tip, h.chain.tip.idHex);
  } finally {
    c.close();
  }
});

test('a block submitted to the chain arrives as a block event', async () => {
  const c = await EventClient.connect(h.url);
  try {
    await c.next((m) => m.type === 'hello');
    const [block] = await extend(h.chain, 1);
    const ev = await c.next((m) => m.type === 'block' && m.height === block!.header.height);
    assert.equal(ev.id, h.chain.tip.idHex);
    assert.equal(ev.txCount, 1);
    assert.equal(ev.main, true);
    assert.deepEqual((ev.data as { id: string }).id, ev.id);
  } finally {
    c.close();
  }
});

test('an admitted transaction arrives as a tx event', async () => {
  const c = await EventClient.connect(h.url);
  try {
    const tx = transfer('alice', testAddress('carol'), 77n, 0n, h.chain.genesis.id);
    const r = await fetch(h.url + '/api/txs', { method: 'POST', body: JSON.stringify(txToJson(tx)), headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 202);
    const ev = await c.next((m) => m.type === 'tx');
    assert.equal(ev.id, txIdHex(tx));
    assert.equal(ev.amount, '77');
    await h.mine();
  } finally {
    c.close();
  }
});

test('a heavier side branch arrives as a reorg event, then its blocks', async () => {
  const c = await EventClient.connect(h.url);
  try {
    await c.next((m) => m.type === 'hello');
    const oldTip = h.chain.tip.idHex;
    const tip = await tipEntry(h.chain);
    const parent = (await h.chain.entry(tip.parent))!;
    const s1 = await childOf(h.chain, parent, [], 99n);
    assert.equal((await h.chain.submitBlock(s1)).status, 'side');
    const s1Entry = (await h.chain.getBlock(blockIdHex(s1)))!.entry;
    const s2 = await childOf(h.chain, s1Entry, [], 99n);
    assert.equal((await h.chain.submitBlock(s2)).status, 'connected');
    const ev = await c.next((m) => m.type === 'reorg');
    assert.deepEqual(ev.disconnected, [oldTip]);
    assert.equal((ev.connected as string[]).length, 2);
    assert.equal(ev.forkHeight, parent.height);
    await c.next((m) => m.type === 'block' && m.id === h.chain.tip.idHex);
  } finally {
    c.close();
  }
});

test('peer events from the node view are forwarded', async () => {
  const c = await EventClient.connect(h.url);
  try {
    await c.next((m) => m.type === 'hello');
    h.peerEvents.emit('peer', { event: 'connected', id: 'ee'.repeat(32), host: '127.0.0.1', port: 30999 });
    const ev = await c.next((m) => m.type === 'peer');
    assert.equal(ev.event, 'connected');
    assert.equal(ev.port, 30999);
  } finally {
    c.close();
  }
});

test('stop() closes event clients; the port stops answering', async () => {
  const x = await startApi();
  try {
    const c = await EventClient.connect(x.url);
    await c.next((m) => m.type === 'hello');
    await x.api.stop();
    const code = await Promise.race([c.closed, new Promise<number>((r) => setTimeout(() => r(-1), 3000).unref())]);
    assert.notEqual(code, -1, 'client was not closed by stop()');
    await assert.rejects(EventClient.connect(x.url));
  } finally {
    await x.close();
  }
});
