// getdata serving costs (issue 15, item 4) against a real Chain on LevelDB, the real network and a
// raw peer on the wire: items are de-duplicated, one request is capped in bytes, and a peer's byte
// bucket makes the rest wait (no notfound, no refusal) instead of being served at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockId, txIdHex } from '../../../src/core/index.js';
import { Mempool } from '../../../src/mempool/index.js';
import { Serving, type ServingBudget } from '../../../src/node/index.js';
import { bodyId, encodeBlockMessage, type InvItem } from '../../../src/p2p/index.js';
import { fromHex, toHex } from '../../../src/crypto/index.js';
import { openTestChain, extend } from '../../helpers/chain-helpers.js';
import { testAddress, testGenesis, transfer } from '../../helpers/fixtures.js';
import { RawPeer, startNet } from './helpers.js';

const unknownTx = (): InvItem => ({ type: 'tx', id: new Uint8Array(32).fill(0xee) });

async function servingNode(t: { after(fn: () => unknown): void }, blocks: number, budget: Partial<ServingBudget> = {}) {
  const { chain } = await openTestChain(undefined, undefined, {}, t);
  const mined = await extend(chain, blocks);
  const mempool = new Mempool(chain);
  const net = await startNet();
  const serving = new Serving(chain, mempool, net, undefined, undefined, budget);
  serving.start();
  t.after(async () => {
    serving.stop();
    await net.stop();
  });
  const ids = mined.map((b) => blockId(b));
  const size = (await chain.getBlockBytes(ids[0]!))!.length;
  return { net, ids, size };
}

test('duplicate getdata: one getdata of 1,000 copies of one block id returns that block once', async (t) => {
  const { net, ids } = await servingNode(t, 1);
  const raw = await RawPeer.ready(net.port);
  t.after(() => raw.close());
  const copies: InvItem[] = Array.from({ length: 1_000 }, () => ({ type: 'block', id: ids[0]! }));
  // The unknown tx at the end comes back as notfound once the whole request was handled.
  raw.send({ kind: 'getdata', items: [...copies, unknownTx()] });
  await raw.next('notfound');
  assert.equal(await raw.roundtrip(), true);
  const served = raw.messages.filter((m) => m.kind === 'block');
  assert.equal(served.length, 1, 'one body for one distinct id');
});

test('getdata byte cap: one request is answered with at most maxGetdataBytes of bodies', async (t) => {
  const probe = await servingNode(t, 1);
  const cap = Math.floor(probe.size * 2.5);
  const { net, ids } = await servingNode(t, 6, { maxGetdataBytes: cap });
  const raw = await RawPeer.ready(net.port);
  t.after(() => raw.close());
  raw.send({ kind: 'getdata', items: ids.map((id) => ({ type: 'block' as const, id })) });
  // getdatas of one peer are served in order: the second one's notfound marks the first as done.
  raw.send({ kind: 'getdata', items: [unknownTx()] });
  await raw.next('notfound');
  const served = raw.messages.flatMap((m) => (m.kind === 'block' ? [m.bytes.length] : []));
  assert.ok(served.length >= 1, 'something is served');
  assert.ok(served.length < ids.length, `capped: ${served.length} of ${ids.length} blocks`);
  assert.ok(served.reduce((a, b) => a + b, 0) <= cap, 'within the byte cap');
});

test('getdata byte bucket: past the per-peer allowance the rest waits, neither served at once nor refused', async (t) => {
  // A bucket of one byte that refills a byte every 1,000 s: one body takes it far below zero.
  const { net, ids } = await servingNode(t, 3, { burstBytes: 1, bytesPerSecond: 0.001 });
  const raw = await RawPeer.ready(net.port);
  t.after(() => raw.close());
  raw.send({ kind: 'getdata', items: ids.map((id) => ({ type: 'block' as const, id })) });
  await raw.next('block');
  assert.equal(await raw.roundtrip(), true, 'the peer is still connected');
  assert.equal(raw.messages.filter((m) => m.kind === 'block').length, 1, 'one body within the allowance');
  assert.equal(raw.messages.filter((m) => m.kind === 'notfound').length, 0, 'the rest is not refused');
});

test('a new tip asked for by every peer at once is served from memory: no store read, one encoding for all', async (t) => {
  const { chain } = await openTestChain(undefined, undefined, {}, t);
  const net = await startNet();
  const serving = new Serving(chain, new Mempool(chain), net);
  serving.start();
  t.after(async () => {
    serving.stop();
    await net.stop();
  });
  const [tip] = await extend(chain, 1);
  let storeReads = 0;
  const read = chain.getBlockBytes.bind(chain);
  chain.getBlockBytes = (id) => (storeReads++, read(id));
  const peers = await Promise.all(Array.from({ length: 4 }, () => RawPeer.ready(net.port)));
  t.after(() => Promise.all(peers.map((p) => p.close())));
  for (const p of peers) p.send({ kind: 'getdata', items: [{ type: 'block', id: blockId(tip!) }] });
  const got = await Promise.all(peers.map((p) => p.next('block')));
  assert.equal(storeReads, 0, 'the tip body comes from the recent-blocks cache');
  for (const m of got) assert.deepEqual(m.bytes, got[0]!.bytes, 'every peer gets the same body');
  assert.equal(toHex(bodyId('block', got[0]!.bytes)), toHex(blockId(tip!)));
  // The `block` message for one body object is encoded once and its id hashed once, however many peers ask.
  const body = got[0]!.bytes;
  assert.equal(encodeBlockMessage({ kind: 'block', bytes: body }), encodeBlockMessage({ kind: 'block', bytes: body }));
  assert.equal(bodyId('block', body), bodyId('block', body));
});

test('a tx never announced to a peer is not served to its getdata', async (t) => {
  const genesis = testGenesis();
  const { chain } = await openTestChain(genesis, undefined, {}, t);
  const mempool = new Mempool(chain);
  const net = await startNet();
  const serving = new Serving(chain, mempool, net);
  serving.start();
  t.after(async () => {
    serving.stop();
    await net.stop();
  });
  const tx = transfer('alice', testAddress('bob'), 1_000n, 0n, genesis.id, 10_000n);
  const admitted = await mempool.add(tx);
  assert.equal(admitted.accepted, true, `the tx is in our mempool: ${JSON.stringify(admitted)}`);
  const id = fromHex(txIdHex(tx));
  const prober = await RawPeer.ready(net.port);
  t.after(() => prober.close());
  prober.send({ kind: 'getdata', items: [{ type: 'tx', id }] });
  const miss = await prober.next('notfound');
  assert.deepEqual(miss.items.map((it) => toHex(it.id)), [toHex(id)], 'answered exactly as a tx we do not have');
  assert.equal(await prober.roundtrip(), true, 'an honest miss costs no disconnect');
  assert.equal(prober.messages.filter((m) => m.kind === 'tx').length, 0, 'the body is not served');
  assert.equal(net.peers()[0]!.score, 0, 'nor any points');
  // Once announced to that peer (as relay does), its getdata is answered.
  const sawInv = prober.next('inv');
  assert.equal(net.announce('tx', [id]), 1);
  await sawInv;
  prober.send({ kind: 'getdata', items: [{ type: 'tx', id }] });
  const served = await prober.next('tx');
  assert.equal(txIdHex(tx), toHex(bodyId('tx', served.bytes)));
});
