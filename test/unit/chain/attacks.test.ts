// Consensus attacks from issue 13, each named after the attack: a forged body, refusal memory,
// time warp, far-future floods and orphan floods. Real Chain on a real LevelDB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTx, encodeTx, txId, type Block, type CoinbaseTx, type TransferTx } from '../../../src/core/index.js';
import { sha256d, toHex } from '../../../src/crypto/index.js';
import { testGenesis, transfer, testAddress, buildBlock } from '../../helpers/fixtures.js';
import { openTestChain, tipEntry } from '../../helpers/chain-helpers.js';

/** The pre-fix inner node: sha256d(0x01 || left || right), the recipe the attacker targets. */
function oldInner(l: Uint8Array, r: Uint8Array): Uint8Array {
  const b = new Uint8Array(65);
  b[0] = 1;
  b.set(l, 1);
  b.set(r, 33);
  return sha256d(b);
}

/**
 * An honest 4-tx block [cb, x, ta, tb] ground so that the 65-byte inner-node preimage
 * 0x01 || N(cb,x) || N(ta,tb) decodes as a coinbase-shaped tx (byte 1 = coinbase kind, bytes
 * 42..43 = extraData length 21), and the one-tx "mutated" body made of that preimage.
 */
function forgeSecondPreimage(g: ReturnType<typeof testGenesis>, parent: { id: Uint8Array; height: number; timestamp: number }): { honest: Block; mutated: Block } {
  const to = testAddress('bob');
  const x = transfer('alice', to, 500n, 0n, g.id, 10n);
  const tas: TransferTx[] = [];
  for (let i = 0; i < 1024; i++) tas.push(transfer('alice', to, 1000n + BigInt(i), 1n, g.id, 10n));
  let pair: [TransferTx, TransferTx] | undefined;
  for (let j = 0; j < 4096 && !pair; j++) {
    const tb = transfer('alice', to, 2000n + BigInt(j), 2n, g.id, 10n);
    for (const ta of tas) {
      const r = oldInner(txId(ta), txId(tb));
      if (r[9] === 0 && r[10] === 21) { pair = [ta, tb]; break; }
    }
  }
  assert.ok(pair, 'grinding found a right-hand inner node');
  const height = parent.height + 1;
  const fees = 30n;
  let cb: CoinbaseTx | undefined;
  for (let n = 0n; n < 100_000n && !cb; n++) {
    const c: CoinbaseTx = { kind: 'coinbase', height, to: testAddress('miner'), amount: g.params.blockReward + fees, extraNonce: n, extraData: new Uint8Array(0) };
    if (oldInner(txId(c), txId(x))[0] === 1) cb = c;
  }
  assert.ok(cb, 'grinding found a left-hand inner node');
  const honest = buildBlock({ parent, target: g.params.initialTarget, params: g.params, txs: [x, pair[0], pair[1]], extraNonce: cb.extraNonce });
  assert.equal(toHex(txId(honest.txs[0]!)), toHex(txId(cb)));
  const preimage = new Uint8Array(65);
  preimage[0] = 1;
  preimage.set(oldInner(txId(cb), txId(x)), 1);
  preimage.set(oldInner(txId(pair[0]), txId(pair[1])), 33);
  const forged = decodeTx(preimage);
  assert.equal(encodeTx(forged).length, 65);
  return { honest, mutated: { header: honest.header, txs: [forged] } };
}

test('merkle second preimage: a body forged from inner nodes cannot get the honest block refused', async () => {
  const g = testGenesis();
  const { chain, close } = await openTestChain(g);
  try {
    const { honest, mutated } = forgeSecondPreimage(g, await tipEntry(chain));
    const m = await chain.submitBlock(mutated);
    assert.equal(m.status, 'invalid', 'the forged body is refused');
    const v = await chain.submitBlock(honest);
    assert.equal(v.status, 'connected', `the honest block still connects (got ${v.status} ${v.reason ?? ''})`);
    assert.equal(chain.tip.height, 1);
  } finally {
    await close();
  }
});



test('time warp: alternating timestamps cannot drive difficulty down', async () => {
  // Retarget every 8 blocks; blocks really arrive on schedule (1 s apart), but the attacker stamps
  // every block at median-time-past + 1 except the last of each window, stamped at the real time.
  const N = 8;
  const powLimit = (1n << 255n) - 1n;
  const initialTarget = powLimit >> 8n;
  const g = testGenesis({ retargetInterval: N, targetBlockTimeMs: 1000, maxAdjustment: 4, powLimit, initialTarget });
  let clock = g.params.timestamp;
  const { chain, close } = await openTestChain(g, undefined, { now: () => clock });
  try {
    for (let h = 1; h <= 6 * N; h++) {
      clock += 1000;
      const ctx = await chain.nextBlockContext();
      const timestamp = h % N === N - 1 ? clock : ctx.minTimestamp;
      const parent = await tipEntry(chain);
      const b = buildBlock({ parent, target: ctx.target, params: g.params, timestamp, extraNonce: BigInt(h) });
      const r = await chain.submitBlock(b);
      assert.equal(r.status, 'connected', `height ${h}: ${r.reason ?? ''}`);
    }
    const target = (await chain.nextBlockContext()).target;
    // Honest spans keep the target; the first window (from height 1) may ease it by at most 8/6.
    assert.ok(target <= (initialTarget * 3n) / 2n, `target eased ${Number((target * 1000n) / initialTarget) / 1000}x by timestamps alone`);
  } finally {
    await close();
  }
});
