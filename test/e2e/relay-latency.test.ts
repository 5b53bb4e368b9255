// What a relaying node does between connecting a block and announcing it, on real nodes and the
// real wire: the header goes out at the end of the block's turn, before any per-block work the
// node defers, and not to a peer whose own announcement crossed ours; the repeat announcements
// every new tip brings (each peer that connected it announces it) cost no store read.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { blockId, encodeHeader, type Block } from '../../src/core/index.js';
import { nodeIdFromPublicKey, toHex } from '../../src/crypto/index.js';
import type { ConnectedBlockEvent } from '../../src/chain/index.js';
import { ScriptedPeer } from '../helpers/scripted-peer.js';
import { childOf, tipEntry } from '../helpers/chain-helpers.js';
import { testNet, waitUntil, type TestNet } from '../helpers/node-helpers.js';

/** A test net's node, one scripted peer connected to it, and the ids the node announces, in order. */
async function nodeWithPeer(t: TestContext): Promise<{ net: TestNet; a: Awaited<ReturnType<TestNet['start']>>; peer: ScriptedPeer; announced: string[] }> {
  const net = testNet({}, t);
  const a = await net.start();
  const peer = await ScriptedPeer.connect(a.port, { genesis: net.genesis.id });
  t.after(() => peer.close());
  const announced: string[] = [];
  a.gossip.on('announced', (e) => announced.push(e.id));
  return { net, a, peer, announced };
}

test('relay goes first: a new tip is announced at the end of its turn, before the work other block listeners defer (the mempool starts before the relay; a health pause restarts it), once and in order', { timeout: 60_000 }, async (t) => {
  const { a, peer, announced } = await nodeWithPeer(t);
  // A listener on the chain before the relay is, deferring its work as the node's listeners do: it
  // sees whether the header already went out when that work runs.
  const deferredBeforeAnnounce: string[] = [];
  const deferredRan: string[] = [];
  const early = (e: ConnectedBlockEvent): void =>
    void setImmediate(() => {
      deferredRan.push(e.id);
      if (!announced.includes(e.id)) deferredBeforeAnnounce.push(e.id);
    });
  a.chain.on('block', early);
  t.after(() => a.chain.off('block', early));
  a.gossip.stop();
  a.gossip.start();

  const blocks: Block[] = [];
  for (let i = 0; i < 3; i++) {
    const block = await childOf(a.chain, await tipEntry(a.chain));
    assert.equal((await a.chain.submitBlock(block)).status, 'connected');
    blocks.push(block);
  }
  const ids = blocks.map((b) => toHex(blockId(b)));
  await waitUntil('deferred work ran', () => deferredRan.length === 3, 10_000, 5);
  assert.deepEqual(announced, ids, 'each tip announced once, in order');
  assert.deepEqual(deferredBeforeAnnounce, [], 'no deferred block work ran before the announcement');
  assert.deepEqual(deferredRan, ids, 'the deferred work still ran, in order');
  // And the announcements are the headers themselves, on the wire, once each.
  peer.send({ kind: 'ping', nonce: 5n });
  await peer.next('pong', (m) => m.kind === 'pong' && m.nonce === 5n);
  const headers = peer.received.flatMap((m) => (m.kind === 'headers' ? m.headers.map((h) => toHex(h)) : []));
  assert.deepEqual(headers, blocks.map((b) => toHex(encodeHeader(b.header))));
});

test('crossing header announcements: a peer whose announcement of a relayed block is read in the turn we connect it is not sent ours back (the other peers are, the source is not)', { timeout: 60_000 }, async (t) => {
  const net = testNet({}, t);
  const a = await net.start();
  const block = await childOf(a.chain, await tipEntry(a.chain));
  const header = toHex(encodeHeader(block.header));
  const idHex = toHex(blockId(block));
  const crossing = await ScriptedPeer.connect(a.port, { genesis: net.genesis.id });
  t.after(() => crossing.close());
  const other = await ScriptedPeer.connect(a.port, { genesis: net.genesis.id });
  t.after(() => other.close());
  const crossingId = toHex(nodeIdFromPublicKey(crossing.key.publicKey));
  await waitUntil('both peers ready at a', () => a.net.peers().length === 2, 10_000, 10);
  // The crossing peer's own announcement of the block, read after the chain's event in the same
  // turn: what routing does with an announcement (the peer is marked as having the block).
  const crossed = (e: ConnectedBlockEvent): void => a.net.peers().find((p) => p.id === crossingId)?.markKnown(e.id);
  a.chain.on('block', crossed);
  t.after(() => a.chain.off('block', crossed));
  // The block comes from a peer, announced with its header and fetched: a relayed block.
  const source = await ScriptedPeer.connect(a.port, { genesis: net.genesis.id, blocks: [block], tip: ScriptedPeer.tipOf(net.genesis.id, a.chain.tip.work, []) });
  t.after(() => source.close());
  source.send({ kind: 'headers', headers: [encodeHeader(block.header)] });
  await waitUntil('the relayed block connected', () => a.chain.tip.idHex === idHex, 20_000, 10);

  const got = await other.next('headers', (m) => m.kind === 'headers' && m.headers.some((h) => toHex(h) === header));
  assert.ok(got, 'the other peer is sent the header');
  // Frames reach a peer in order: past this pong, a header for them would have arrived.
  for (const [i, p] of [crossing, source].entries()) {
    p.send({ kind: 'ping', nonce: BigInt(60 + i) });
    await p.next('pong', (m) => m.kind === 'pong' && m.nonce === BigInt(60 + i));
  }
  const sentBack = (p: ScriptedPeer): number => p.received.filter((m) => m.kind === 'headers' && m.headers.some((h) => toHex(h) === header)).length;
  assert.equal(sentBack(crossing), 0, 'the crossing peer was not sent the block it announced');
  assert.equal(sentBack(source), 0, 'the source was not sent its own block');
});

test('a block mined or submitted here is announced inside the chain\'s event: no peer can have announced it first, so the first hop waits for nothing', { timeout: 60_000 }, async (t) => {
  const { a, peer, announced } = await nodeWithPeer(t);
  const block = await childOf(a.chain, await tipEntry(a.chain));
  let announcedInEvent = false;
  const late = (): void => void (announcedInEvent = announced.includes(toHex(blockId(block))));
  a.chain.on('block', late);
  t.after(() => a.chain.off('block', late));
  assert.equal((await a.chain.submitBlock(block)).status, 'connected');
  assert.ok(announcedInEvent, 'announced before a later listener of the same event ran');
});

test('a relay stopped in the turn a relayed tip connects announces nothing afterwards, and announces the next tip once restarted', { timeout: 60_000 }, async (t) => {
  const { net, a, peer, announced } = await nodeWithPeer(t);
  const stopNow = (): void => {
    a.gossip.stop();
    a.gossip.stop(); // idempotent
  };
  a.chain.once('block', stopNow);
  const first = await childOf(a.chain, await tipEntry(a.chain));
  const source = await ScriptedPeer.connect(a.port, { genesis: net.genesis.id, blocks: [first], tip: ScriptedPeer.tipOf(net.genesis.id, a.chain.tip.work, []) });
  t.after(() => source.close());
  source.send({ kind: 'headers', headers: [encodeHeader(first.header)] });
  await waitUntil('the relayed block connected', () => a.chain.tip.idHex === toHex(blockId(first)), 20_000, 10);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(announced, [], 'nothing announced after stop');
  a.gossip.start();
  const second = await childOf(a.chain, await tipEntry(a.chain));
  assert.equal((await a.chain.submitBlock(second)).status, 'connected');
  const got = await peer.next('headers', (m) => m.kind === 'headers' && m.headers.length === 1);
  assert.equal(toHex(got.headers[0]!), toHex(encodeHeader(second.header)), 'the first header on the wire is the second tip');
  assert.deepEqual(announced, [toHex(blockId(second))]);
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
