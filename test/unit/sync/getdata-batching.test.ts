// Messages per block: a window pass asks each peer for its share of bodies in one getdata (as
// Bitcoin Core batches its getdata), not one message per block. Counted on the real wire protocol.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../../src/crypto/index.js';
import { INITIAL_LIMIT } from '../../../src/sync/peer-load.js';
import { ScriptedPeer } from '../../helpers/scripted-peer.js';
import { testNet, waitUntil } from '../../helpers/node-helpers.js';
import { offlineBranch } from '../../helpers/chain-helpers.js';

const BLOCKS = 24;

test('one getdata per block: a window pass sends each peer its whole batch in one message', async (t) => {
  const net = testNet({}, t);
  const blocks = offlineBranch(net.genesis, BLOCKS, 0n);
  const victim = await net.start();
  const tip = ScriptedPeer.tipOf(net.genesis.id, victim.chain.tip.work, blocks);
  const peer = await ScriptedPeer.connect(victim.port, { genesis: net.genesis.id, blocks, tip });
  t.after(() => peer.close());
  await waitUntil('victim at the tip', () => victim.chain.tip.idHex === toHex(tip.id), 30_000, 10);
  const getdatas = peer.received.filter((m) => m.kind === 'getdata');
  const items = getdatas.reduce((n, m) => n + m.items.length, 0);
  t.diagnostic(`${getdatas.length} getdata for ${items} bodies: ${getdatas.map((m) => m.items.length).join(',')}`);
  assert.equal(items, BLOCKS, 'every body asked for once');
  // The first pass fills the unmeasured peer's slow-start limit in one message.
  assert.equal(getdatas[0]!.items.length, INITIAL_LIMIT, 'the first getdata carries the whole first batch');
  assert.ok(getdatas.length < BLOCKS, `fewer getdata messages (${getdatas.length}) than bodies (${BLOCKS})`);
});
