// A sync's start-up on the real wire protocol: the fresh node's first getheaders goes out before it
// spawns its verify workers (spawning blocks the main thread for milliseconds, which used to delay
// the ask; now it overlaps the peer's reply), and the workers are still spawned before the headers
// arrive, so the first bodies find them starting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockId, type Block } from '../../../src/core/index.js';
import { toHex } from '../../../src/crypto/index.js';
import { ScriptedPeer } from '../../helpers/scripted-peer.js';
import { testNet, waitUntil } from '../../helpers/node-helpers.js';
import { buildBlock } from '../../helpers/fixtures.js';

const BLOCKS = 20;

test('verify workers spawned before the first getheaders: the fresh node asks first and spawns them while the peer answers', async (t) => {
  const net = testNet({}, t);
  const blocks: Block[] = [];
  let parent = { id: net.genesis.id, height: 0, timestamp: net.genesis.params.timestamp };
  for (let b = 0; b < BLOCKS; b++) {
    const block = buildBlock({ parent, target: net.genesis.params.initialTarget, params: net.genesis.params, txs: [] });
    blocks.push(block);
    parent = { id: blockId(block), height: block.header.height, timestamp: block.header.timestamp };
  }
  const victim = await net.start();
  const order: string[] = [];
  const prepare = victim.chain.prepareToVerify.bind(victim.chain);
  victim.chain.prepareToVerify = () => {
    order.push('spawn workers');
    prepare();
  };
  const exchange = victim.net.exchange.bind(victim.net);
  victim.net.exchange = ((peer, m) => {
    order.push(m.kind);
    return exchange(peer, m as Parameters<typeof exchange>[1] & { kind: 'getheaders' });
  }) as typeof victim.net.exchange;
  const tip = ScriptedPeer.tipOf(net.genesis.id, victim.chain.tip.work, blocks);
  let seenAtReply: string[] | undefined;
  const peer = await ScriptedPeer.connect(victim.port, {
    genesis: net.genesis.id, blocks, tip,
    script: {
      getheaders: (p, m) => {
        seenAtReply ??= [...order];
        p.answerHeaders(m);
      },
    },
  });
  t.after(() => peer.close());
  await waitUntil('victim at the tip', () => victim.chain.tip.idHex === toHex(tip.id), 30_000, 10);
  assert.deepEqual(order.slice(0, 2), ['getheaders', 'spawn workers'], `the ask goes out first (order: ${order.join(', ')})`);
  assert.ok(seenAtReply?.includes('spawn workers'), 'the workers were spawned before the peer answered');
  assert.equal(order.filter((x) => x === 'spawn workers').length, 1, 'spawned once');
});
