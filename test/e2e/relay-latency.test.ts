// What a relaying node does between connecting a block and announcing it, on real nodes and the
// real wire: the header goes out before any other per-block work of the node, and the repeat
// announcements every new tip brings (each peer that connected it announces it) cost no store read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeHeader, type Block } from '../../src/core/index.js';
import { nodeIdFromPublicKey, toHex } from '../../src/crypto/index.js';
import type { ConnectedBlockEvent } from '../../src/chain/index.js';
import { ScriptedPeer } from '../helpers/scripted-peer.js';
import { childOf, tipEntry } from '../helpers/chain-helpers.js';
import { testNet, waitUntil } from '../helpers/node-helpers.js';

test('relay goes first: a new tip is announced before block listeners registered ahead of the relay run (the mempool starts before it; a health pause restarts it)', { timeout: 60_000 }, async (t) => {
  const net = testNet({}, t);
  const a = await net.start();
  const peer = await ScriptedPeer.connect(a.port, { genesis: net.genesis.id });
  t.after(() => peer.close());
  const announced = new Set<string>();
  a.gossip.on('announced', (e) => announced.add(e.id));
  // A listener that is on the chain before the relay is: it sees whether the header already went out.
  const seenBeforeAnnounce: string[] = [];
  const early = (e: ConnectedBlockEvent): void => void (announced.has(e.id) || seenBeforeAnnounce.push(e.id));
  a.chain.on('block', early);
  t.after(() => a.chain.off('block', early));
  a.gossip.stop();
  a.gossip.start();

  const block = await childOf(a.chain, await tipEntry(a.chain));
  assert.equal((await a.chain.submitBlock(block)).status, 'connected');
  const idHex = a.chain.tip.idHex;
  assert.ok(announced.has(idHex), 'the relay announced the new tip');
  assert.deepEqual(seenBeforeAnnounce, [], 'no block listener ran before the announcement');
  // And the announcement is the header itself, on the wire.
  const got = await peer.next('headers', (m) => m.kind === 'headers' && m.headers.length === 1);
  assert.equal(toHex(got.headers[0]!), toHex(encodeHeader(block.header)));
});

test('repeat header announcements of a block we already have cost no store read each (only the announcer is recorded as holding it)', { timeout: 60_000 }, async (t) => {
  const net = testNet({}, t);
  const a = await net.start();
  const block: Block = await childOf(a.chain, await tipEntry(a.chain));
  assert.equal((await a.chain.submitBlock(block)).status, 'connected');
  const tipHex = a.chain.tip.idHex;
  // A peer at genesis that then announces our tip, as every peer that connected it does.
  const peer = await ScriptedPeer.connect(a.port, { genesis: net.genesis.id });
  t.after(() => peer.close());
  const peerId = toHex(nodeIdFromPublicKey(peer.key.publicKey));
  const atA = (): ReturnType<typeof a.net.peers>[number] | undefined => a.net.peers().find((p) => p.id === peerId);
  await waitUntil('peer ready at a', () => atA() !== undefined, 10_000, 10);
  assert.equal(atA()!.tip?.height ?? 0, 0);

  const chain = a.chain;
  const entry = chain.entry.bind(chain);
  let reads = 0;
  chain.entry = (id) => {
    if (toHex(id) === tipHex) reads++;
    return entry(id);
  };
  t.after(() => void (chain.entry = entry));
  const before = a.sync.stats.headersReceived;
  const REPEATS = 5;
  for (let i = 0; i < REPEATS; i++) peer.send({ kind: 'headers', headers: [encodeHeader(block.header)] });
  await waitUntil('announcements handled', () => a.sync.stats.headersReceived - before >= REPEATS && atA()?.tip?.height === 1, 10_000, 10);
  // Anything still in flight from those announcements has finished once a later ping is answered.
  peer.send({ kind: 'ping', nonce: 7n });
  await peer.next('pong', (m) => m.kind === 'pong' && m.nonce === 7n);
  await new Promise((r) => setImmediate(r));
  assert.equal(reads, 0, `index reads of the announced tip: ${reads}`);
  assert.equal(atA()!.tip?.height, 1, 'the announcer is known to hold the tip');
  assert.equal(atA()!.score, 0, 'an honest repeat costs the peer nothing');
});
