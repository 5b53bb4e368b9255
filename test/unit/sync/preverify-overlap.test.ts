// Signature checks overlap the connect: bodies that arrive while a block is connecting are handed
// to the verify workers at once, not when that connect returns. A connect held open by the test
// (no timing involved) shows which bodies were begun meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { addressFromPublicKey } from '../../../src/core/index.js';
import { toHex } from '../../../src/crypto/index.js';
import { ScriptedPeer } from '../../helpers/scripted-peer.js';
import { testNet, waitUntil } from '../../helpers/node-helpers.js';
import { offlineBranch } from '../../helpers/chain-helpers.js';
import { testAddress, testKey, transfer } from '../../helpers/fixtures.js';

const BLOCKS = 8;
/** Above the verifier's inline threshold, so each block's signatures go to the workers. */
const TXS = 40;
const noWorkers = availableParallelism() < 2 ? 'one core: signatures are verified inline, no workers' : false;

test('bodies not preverified while a connect is in progress: those arriving during the first connect are begun before it returns', { skip: noWorkers }, async (t) => {
  const net = testNet({ alloc: [{ address: addressFromPublicKey(testKey('alice').publicKey), amount: 10n ** 15n }] }, t);
  let nonce = 0n;
  const blocks = offlineBranch(net.genesis, BLOCKS, 0n, () => Array.from({ length: TXS }, (_, i) => transfer('alice', testAddress('r' + (i % 7)), 1_000n, nonce++, net.genesis.id, 1n)));
  const victim = await net.start();
  await waitUntil('verify workers ready', () => victim.chain.verifyWorkers.ready === victim.chain.verifyWorkers.spawned && victim.chain.verifyWorkers.spawned > 0, 30_000, 10);
  // The first block's connect waits on a gate the test opens.
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let holding = false;
  const submit = victim.chain.submitBlock.bind(victim.chain);
  victim.chain.submitBlock = async (block, opts) => {
    if (block.header.height === 1) {
      holding = true;
      await gate;
    }
    return submit(block, opts);
  };
  const begun: number[] = [];
  const preverify = victim.chain.preverify.bind(victim.chain);
  victim.chain.preverify = (block) => {
    begun.push(block.header.height);
    return preverify(block);
  };
  t.after(() => open());
  const tip = ScriptedPeer.tipOf(net.genesis.id, victim.chain.tip.work, blocks);
  const peer = await ScriptedPeer.connect(victim.port, { genesis: net.genesis.id, blocks, tip });
  t.after(() => peer.close());
  await waitUntil('first connect held, later bodies buffered', () => holding && victim.sync.window.bufferedCount >= BLOCKS - 1, 30_000, 10);
  const duringConnect = [...new Set(begun)].sort((a, b) => a - b);
  open();
  await waitUntil('victim at the tip', () => victim.chain.tip.idHex === toHex(tip.id), 30_000, 10);
  // The head's next few (PREVERIFY_AHEAD = 6 places from the head, the head itself being connected).
  assert.deepEqual(duringConnect, [2, 3, 4, 5, 6], `begun while block 1 connected: ${duringConnect.join(',') || 'none'}`);
  assert.equal(begun.filter((h) => h === 3).length, 1, 'each body is begun once, not once per pass');
});
