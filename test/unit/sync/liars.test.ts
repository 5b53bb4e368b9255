// Headers-first sync against peers that lie, each a scripted peer on the real wire protocol: the
// fresh node reaches the honest tip every time, the liar is penalised and disconnected (the close
// reason names the lie), and the honest peer's score stays 0.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { blockId, encodeBlock, encodeHeader, headerId, type Block } from '../../../src/core/index.js';
import { bytesToBigInt, nodeIdFromPublicKey, toHex } from '../../../src/crypto/index.js';
import type { Peer } from '../../../src/p2p/index.js';
import type { RunningNode } from '../../../src/node/index.js';
import { ScriptedPeer } from '../../helpers/scripted-peer.js';
import { syncsFromHonest, testNet, tipClaimOf, waitUntil, type TestNet } from '../../helpers/node-helpers.js';
import { childOf, tipEntry } from '../../helpers/chain-helpers.js';
import { buildBlock, prng } from '../../helpers/fixtures.js';

const BLOCKS = 30;
const HUGE_WORK = 1n << 200n;

interface World {
  net: TestNet;
  honest: RunningNode;
  victim: RunningNode;
  blocks: Block[];
  /** Peers the victim dropped, with their score at the time and the reason. */
  dropped: { id: string; score: number; reason: string }[];
}

async function world(t: TestContext, maxLowWorkHeadersPerPeer?: number): Promise<World> {
  const net = testNet();
  t.after(() => net.stopAll());
  const honest = await net.start();
  const blocks: Block[] = [];
  for (let i = 0; i < BLOCKS; i++) {
    const b = await childOf(honest.chain, await tipEntry(honest.chain));
    assert.equal((await honest.chain.submitBlock(b)).status, 'connected');
    blocks.push(b);
  }
  // Short stall floor and tick so a slow liar is found in about a second, not minutes.
  const victim = await net.start({ syncOptions: { window: { stallMinMs: 300 }, tickMs: 50, maxLowWorkHeadersPerPeer }, p2pLimits: { requestTimeoutMs: 5_000 } });
  const dropped: World['dropped'] = [];
  victim.net.on('peer:disconnected', (p: Peer, reason: string) => dropped.push({ id: p.id, score: p.score, reason }));
  return { net, honest, victim, blocks, dropped };
}

async function liar(w: World, t: TestContext, o: Partial<Parameters<typeof ScriptedPeer.connect>[1]>): Promise<ScriptedPeer> {
  const p = await ScriptedPeer.connect(w.victim.port, { genesis: w.net.genesis.id, ...o });
  t.after(() => p.close());
  return p;
}

const honestTip = (w: World): { id: Uint8Array; height: number; work: bigint } => tipClaimOf(w.honest);

/** The honest peer connects; the victim reaches its tip with the honest peer unpunished. */
async function reachesHonestTip(w: World): Promise<void> {
  await syncsFromHonest(w.victim, w.honest, 60_000);
  // Progress shows in /api/status: headers and blocks at the honest tip.
  const status = (await (await fetch(`${w.victim.apiUrl}/api/status`)).json()) as { syncing: boolean; sync: { headers: number; blocks: number } };
  assert.equal(status.sync.blocks, BLOCKS);
  assert.equal(status.sync.headers, BLOCKS);
}

function droppedLiar(w: World, p: ScriptedPeer, reason: string, minScore: number): void {
  const id = toHex(nodeIdOf(p));
  const d = w.dropped.find((x) => x.id === id);
  assert.ok(d, 'the liar was disconnected');
  assert.equal(d.reason, reason);
  assert.ok(d.score >= minScore, `the liar was penalised (score ${d.score})`);
}

function nodeIdOf(p: ScriptedPeer): Uint8Array {
  return nodeIdFromPublicKey(p.key.publicKey);
}

test('liar claims work its headers do not prove (empty headers reply): dropped as work-claim-unproven', { timeout: 90_000 }, async (t) => {
  const w = await world(t);
  const p = await liar(w, t, { tip: { id: new Uint8Array(32).fill(0x77), height: 1_000_000, work: HUGE_WORK }, script: { getheaders: (s) => s.send({ kind: 'headers', headers: [] }) } });
  const closed = await p.closed;
  assert.equal(closed.reason, 'work-claim-unproven');
  assert.equal(w.victim.chain.tip.height, 0, 'nothing was taken on the liar\'s word');
  droppedLiar(w, p, 'work-claim-unproven', 50);
  await reachesHonestTip(w);
});

test('liar withholds bodies (notfound for blocks on the headers it proved): dropped as withheld-bodies', { timeout: 90_000 }, async (t) => {
  const w = await world(t);
  const p = await liar(w, t, { blocks: w.blocks, tip: honestTip(w), script: { getdata: (s, m) => s.send({ kind: 'notfound', items: m.items }) } });
  assert.equal((await p.closed).reason, 'withheld-bodies');
  droppedLiar(w, p, 'withheld-bodies', 20);
  await reachesHonestTip(w);
});

test('liar answers slowly (bodies 5 s late): its requests go to the honest peer and it is dropped as stalling', { timeout: 90_000 }, async (t) => {
  const w = await world(t);
  const p = await liar(w, t, { blocks: w.blocks, tip: honestTip(w), script: { getdata: (s, m) => s.later(5_000, () => s.answerData(m)) } });
  await p.next('getdata');
  await reachesHonestTip(w);
  assert.equal((await p.closed).reason, 'stalling');
  droppedLiar(w, p, 'stalling', 10);
});

test('liar sends headers that do not connect to anything we know: dropped as headers-not-connecting', { timeout: 90_000 }, async (t) => {
  const w = await world(t);
  const rnd = prng(14);
  const unknownParent = Uint8Array.from({ length: 32 }, () => Math.floor(rnd() * 256));
  const params = w.net.genesis.params;
  const stray: Block[] = [];
  let parent: { id: Uint8Array; height: number; timestamp: number } = { id: unknownParent, height: 40, timestamp: params.timestamp + 40_000 };
  for (let i = 0; i < 5; i++) {
    const b = buildBlock({ parent, target: params.initialTarget, params });
    stray.push(b);
    parent = { id: blockId(b), height: b.header.height, timestamp: b.header.timestamp };
  }
  const p = await liar(w, t, { tip: { id: parent.id, height: parent.height, work: HUGE_WORK }, script: { getheaders: (s) => s.send({ kind: 'headers', headers: stray.map((b) => encodeHeader(b.header)) }) } });
  assert.equal((await p.closed).reason, 'headers-not-connecting');
  droppedLiar(w, p, 'headers-not-connecting', 20);
  await reachesHonestTip(w);
});

test('liar floods inv with 50,000 block ids: dropped as inv-flood', { timeout: 90_000 }, async (t) => {
  const w = await world(t);
  const p = await liar(w, t, {});
  const rnd = prng(50);
  const items = Array.from({ length: 50_000 }, () => ({ type: 'block' as const, id: Uint8Array.from({ length: 32 }, () => Math.floor(rnd() * 256)) }));
  p.send({ kind: 'inv', items });
  assert.equal((await p.closed).reason, 'inv-flood');
  droppedLiar(w, p, 'inv-flood', 50);
  await reachesHonestTip(w);
});

test('liar sends a header whose proof-of-work is false: banned as invalid-header', { timeout: 90_000 }, async (t) => {
  const w = await world(t);
  const good = w.blocks[0]!;
  // Same header, another nonce, until the id is above the target: the work is a lie.
  let header = { ...good.header };
  for (let n = 1; ; n++) {
    header = { ...good.header, nonce: good.header.nonce + n };
    if (bytesToBigInt(headerId(header)) > bytesToBigInt(header.target)) break;
  }
  const p = await liar(w, t, { tip: { id: headerId(header), height: 1, work: HUGE_WORK }, script: { getheaders: (s) => s.send({ kind: 'headers', headers: [encodeHeader(header)] }) } });
  assert.equal((await p.closed).reason, 'banned');
  assert.ok(w.victim.net.isBanned(`id:${toHex(nodeIdOf(p))}`), 'the liar\'s id is banned');
  await reachesHonestTip(w);
});

test('liar spams low-work headers (a fork that never beats our tip): dropped as low-work-headers, none kept', { timeout: 90_000 }, async (t) => {
  const w = await world(t, 5);
  await reachesHonestTip(w);
  // Ten headers from genesis: valid work, but less than our 30 blocks, claimed as a huge chain.
  const params = w.net.genesis.params;
  const fork: Block[] = [];
  let parent: { id: Uint8Array; height: number; timestamp: number } = { id: w.net.genesis.id, height: 0, timestamp: params.timestamp };
  for (let i = 0; i < 10; i++) {
    const b = buildBlock({ parent, target: params.initialTarget, params, extraNonce: 99n });
    fork.push(b);
    parent = { id: blockId(b), height: b.header.height, timestamp: b.header.timestamp };
  }
  const p = await liar(w, t, { blocks: fork, tip: { id: parent.id, height: 1_000, work: HUGE_WORK } });
  assert.equal((await p.closed).reason, 'low-work-headers');
  droppedLiar(w, p, 'low-work-headers', 20);
  assert.equal(w.victim.sync.tree.size, 0, 'no low-work header was kept');
  assert.equal(w.victim.chain.tip.idHex, w.honest.chain.tip.idHex);
  assert.equal(w.victim.net.peer(w.honest.net.nodeId)?.score, 0);
});

test('liar sends bodies that do not match the headers it proved (mutated transactions): banned as body-mismatch', { timeout: 90_000 }, async (t) => {
  const w = await world(t);
  const p = await liar(w, t, {
    blocks: w.blocks, tip: honestTip(w),
    script: {
      getdata: (s, m) => {
        for (const it of m.items) {
          const b = s.blocks.find((x) => Buffer.from(blockId(x)).equals(Buffer.from(it.id)));
          if (!b) continue;
          // Same header (so the same id), another coinbase: the merkle root no longer matches.
          const cb = b.txs[0]!;
          const mutated: Block = { header: b.header, txs: [{ ...cb, extraNonce: 12345n } as Block['txs'][0], ...b.txs.slice(1)] };
          s.send({ kind: 'block', bytes: encodeBlock(mutated) });
        }
      },
    },
  });
  assert.equal((await p.closed).reason, 'banned');
  assert.ok(w.victim.net.isBanned(`id:${toHex(nodeIdOf(p))}`), 'the liar\'s id is banned');
  await reachesHonestTip(w);
});
