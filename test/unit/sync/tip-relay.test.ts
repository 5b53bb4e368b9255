// The relay path of a node in sync (issue 14, relay latency): the next block's header arrives from
// every peer that has it, each repeat must cost O(1) (no download-window pass, no per-peer walk),
// and the body is fetched once and connected. Real node, scripted peers on the real wire.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockId, encodeHeader } from '../../../src/core/index.js';
import { nodeIdFromPublicKey, toHex } from '../../../src/crypto/index.js';
import type { MessageOf } from '../../../src/p2p/index.js';
import { ScriptedPeer } from '../../helpers/scripted-peer.js';
import { testNet, waitUntil } from '../../helpers/node-helpers.js';
import { childOf, tipEntry } from '../../helpers/chain-helpers.js';

const DUPLICATES = 5;

test('duplicate tip announcements wake no download-window pass while the body is on its way', { timeout: 60_000 }, async (t) => {
  const net = testNet();
  t.after(() => net.stopAll());
  const node = await net.start();
  const next = await childOf(node.chain, await tipEntry(node.chain), [], 7n);
  const nextHex = toHex(blockId(next));
  const ourTip = node.chain.tip;
  const claim = { id: ourTip.id, height: ourTip.height, work: ourTip.work };
  // The holder announces the block first and keeps its body until told to send it.
  let asked: MessageOf<'getdata'> | undefined;
  const holder = await ScriptedPeer.connect(node.port, { genesis: net.genesis.id, blocks: [next], tip: claim, script: { getdata: (_p, m) => (asked = m) } });
  t.after(() => holder.close());
  const others = await Promise.all(Array.from({ length: DUPLICATES }, async () => {
    const p = await ScriptedPeer.connect(node.port, { genesis: net.genesis.id, tip: claim });
    t.after(() => p.close());
    return p;
  }));
  const header = encodeHeader(next.header);
  holder.send({ kind: 'headers', headers: [header] });
  await waitUntil('the body asked of the holder', () => asked !== undefined, 10_000, 5);
  assert.equal(toHex(asked!.items[0]!.id), nextHex);

  const window = node.sync.window;
  let passes = 0;
  const fill = window.fill.bind(window);
  window.fill = (...args: Parameters<typeof window.fill>) => {
    passes++;
    return fill(...args);
  };
  t.after(() => {
    window.fill = fill;
  });
  for (const p of others) {
    p.send({ kind: 'headers', headers: [header] });
    // Frames are handled in order: the pong says the announcement was handled.
    p.send({ kind: 'ping', nonce: 5n });
    await p.next('pong', (m) => m.kind === 'pong' && m.nonce === 5n);
  }
  // And a few sync ticks (250 ms each) with the body still on its way.
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(passes, 0, `window passes while the only missing body was already asked for: ${passes}`);
  // Each repeat still recorded that its peer has the block (it is never announced back to them).
  assert.equal(holder.received.filter((m) => m.kind === 'getdata').length, 1, 'the body is asked for once');

  holder.answerData(asked!);
  await waitUntil('the block connected', () => node.chain.tip.idHex === nextHex, 10_000, 5);
  for (const p of [holder, ...others]) assert.equal(node.net.peer(toHex(nodeIdOf(p)))?.score, 0, 'no peer is penalised');
  for (const p of others) assert.ok(!p.received.some((m) => m.kind === 'headers' && m.headers.length === 1), 'not announced back to a peer that announced it');
});

function nodeIdOf(p: ScriptedPeer): Uint8Array {
  return nodeIdFromPublicKey(p.key.publicKey);
}
