// The start of a sync on the real wire protocol: the first peer to prove its headers is slow (it
// answers only once the test lets it) and is asked for the first bodies, the low edge among them.
// The connector must not idle on it until some other peer has delivered: when a second holder
// proves its headers, the low edge moves to it, ahead of that peer's own first requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockId } from '../../../src/core/index.js';
import { toHex } from '../../../src/crypto/index.js';
import type { MessageOf } from '../../../src/p2p/index.js';
import { ScriptedPeer } from '../../helpers/scripted-peer.js';
import { testNet, waitUntil } from '../../helpers/node-helpers.js';
import { offlineBranch } from '../../helpers/chain-helpers.js';

const BLOCKS = 16;

test("low edge left with the slow first peer at sync start: it moves to the second peer to prove its headers, first in that peer's queue", async (t) => {
  const net = testNet({}, t);
  const blocks = offlineBranch(net.genesis, BLOCKS, 0n);
  const victim = await net.start();
  const tip = ScriptedPeer.tipOf(net.genesis.id, victim.chain.tip.work, blocks);
  // The slow peer holds every getdata until the test releases it (no timing involved).
  const held: MessageOf<'getdata'>[] = [];
  const slow = await ScriptedPeer.connect(victim.port, { genesis: net.genesis.id, blocks, tip, script: { getdata: (_s, m) => void held.push(m) } });
  t.after(() => slow.close());
  await slow.next('getdata');
  const lowEdge = toHex(blockId(blocks[0]!));
  assert.ok(held.some((m) => m.items.some((it) => toHex(it.id) === lowEdge)), 'the slow peer was asked for the low edge first');
  const fast = await ScriptedPeer.connect(victim.port, { genesis: net.genesis.id, blocks, tip });
  t.after(() => fast.close());
  const first = await fast.next('getdata');
  assert.equal(toHex(first.items[0]!.id), lowEdge, 'the second peer is asked for the low edge first');
  await waitUntil('victim at the tip', () => victim.chain.tip.idHex === toHex(tip.id), 30_000, 10);
  for (const m of held) slow.answerData(m);
  for (const p of victim.net.peers()) assert.equal(p.score, 0, 'nobody is penalised for a move at the start');
});
