// Wall-clock steps seen by headers-first sync: stall detection and the response times it adapts to
// are durations, so a step of `Date.now()` must neither hide a staller for an hour nor stretch the
// stall timeout to hours. A real node (LevelDB, WebSockets on 127.0.0.1), a scripted staller that
// holds bodies, and an honest node the stalled requests must move to.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Block } from '../../../src/core/index.js';
import { nodeIdFromPublicKey, toHex } from '../../../src/crypto/index.js';
import type { InvItem, MessageOf } from '../../../src/p2p/index.js';
import type { RunningNode } from '../../../src/node/index.js';
import { ScriptedPeer } from '../../helpers/scripted-peer.js';
import { syncsFromHonest, testNet, tipClaimOf, waitUntil, type TestNet } from '../../helpers/node-helpers.js';
import { extend } from '../../helpers/chain-helpers.js';
import { HOUR_MS, stepWallClock } from '../../helpers/wall-clock.js';

const BLOCKS = 20;

interface World {
  net: TestNet;
  honest: RunningNode;
  victim: RunningNode;
  blocks: Block[];
}

async function world(t: TestContext): Promise<World> {
  const net = testNet();
  t.after(() => net.stopAll());
  const honest = await net.start();
  // Block timestamps are from 2023 (fixtures): a step back of an hour leaves them valid.
  const blocks = await extend(honest.chain, BLOCKS);
  // Short stall floor and tick; the p2p request timeout is far past the test's bound, so only the
  // sync window's stall detection can move a held request.
  const victim = await net.start({ syncOptions: { window: { stallMinMs: 300 }, tickMs: 50 }, p2pLimits: { requestTimeoutMs: 120_000 } });
  return { net, honest, victim, blocks };
}

/**
 * A peer with every block that withholds the bodies it is asked for (kept in `held`); once
 * `release` is called it answers the held bodies and every later request.
 */
async function staller(w: World, t: TestContext, held: InvItem[]): Promise<{ p: ScriptedPeer; release: () => void }> {
  let released = false;
  const getdata = (s: ScriptedPeer, m: MessageOf<'getdata'>): void => {
    if (released) s.answerData(m);
    else held.push(...m.items);
  };
  const p = await ScriptedPeer.connect(w.victim.port, { genesis: w.net.genesis.id, blocks: w.blocks, tip: tipClaimOf(w.honest), script: { getdata } });
  t.after(() => p.close());
  await waitUntil('the staller holds a body', () => held.length > 0, 30_000, 10);
  const release = (): void => {
    released = true;
    p.answerData({ kind: 'getdata', items: held.splice(0) });
  };
  return { p, release };
}

const reachesTip = (w: World): Promise<void> => syncsFromHonest(w.victim, w.honest, 30_000);

test('wall clock steps back an hour: a stalled sync request is still reassigned', { timeout: 90_000 }, async (t) => {
  const w = await world(t);
  const held: InvItem[] = [];
  await staller(w, t, held);
  stepWallClock(t, -HOUR_MS);
  // The staller holds the lowest bodies: the window reaches the tip only if they move to the honest peer.
  await reachesTip(w);
});

test('wall clock steps forward an hour: honest peers are not penalised as stallers', { timeout: 90_000 }, async (t) => {
  const w = await world(t);
  const held: InvItem[] = [];
  const { p, release } = await staller(w, t, held);
  const dropped: string[] = [];
  w.victim.net.on('peer:disconnected', (_peer, reason) => dropped.push(reason));
  // Three steps (a laptop suspended three times mid-sync); after each, two sync ticks run. The
  // bodies are held for well under the stall floor of real time.
  for (let i = 0; i < 3; i++) {
    stepWallClock(t, HOUR_MS);
    let ticks = 0;
    const onProgress = (): void => void ticks++;
    w.victim.sync.on('progress', onProgress);
    await waitUntil('two sync ticks', () => ticks >= 2 || dropped.length > 0, 30_000, 10);
    w.victim.sync.off('progress', onProgress);
  }
  assert.deepEqual(dropped, [], 'the peer holding the bodies was not dropped');
  release();
  await waitUntil('the victim at the tip', () => w.victim.chain.tip.height === BLOCKS, 30_000, 20);
  assert.equal(w.victim.net.peer(toHex(nodeIdFromPublicKey(p.key.publicKey)))?.score, 0, 'not penalised');
});
