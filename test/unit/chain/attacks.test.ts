// Consensus attacks from issue 13, each named after the attack: a forged body, refusal memory,
// time warp, far-future floods and orphan floods. Real Chain on a real LevelDB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTx, encodeTx, txId, blockId, blockIdHex, blockMerkleRoot, type Block, type CoinbaseTx, type TransferTx } from '../../../src/core/index.js';
import { sha256d, toHex } from '../../../src/crypto/index.js';
import { testGenesis, transfer, testAddress, buildBlock, mineHeader } from '../../helpers/fixtures.js';
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

test('refusal memory by cause: header failures are remembered by id, body failures are not', async () => {
  const g = testGenesis();
  const { chain, close } = await openTestChain(g);
  try {
    const parent = await tipEntry(chain);
    // Body failure: a coinbase paying itself too much (the header commits to this body).
    const greedy = buildBlock({ parent, target: g.params.initialTarget, params: g.params, extraNonce: 1n });
    const cb = { ...(greedy.txs[0] as CoinbaseTx), amount: g.params.blockReward + 1n };
    const rich: Block = { header: mineHeader({ ...greedy.header, merkleRoot: blockMerkleRoot([cb]) }), txs: [cb] };
    assert.equal((await chain.submitBlock(rich)).reason, 'bad-coinbase-amount');
    assert.equal(chain.knownInvalid(blockIdHex(rich)), undefined, 'a body failure is not pinned to the id');
    // Header failure: the timestamp is not after median-time-past; true of every body under it.
    const old = buildBlock({ parent, target: g.params.initialTarget, params: g.params, timestamp: parent.timestamp, extraNonce: 2n });
    assert.equal((await chain.submitBlock(old)).reason, 'time-too-old');
    assert.equal(chain.knownInvalid(blockIdHex(old)), 'time-too-old');
    const again = await chain.submitBlock(old);
    assert.equal(again.reason, 'time-too-old');
    // The honest block at that height still connects.
    assert.equal((await chain.submitBlock(buildBlock({ parent, target: g.params.initialTarget, params: g.params, extraNonce: 3n }))).status, 'connected');
  } finally {
    await close();
  }
});

test('future block: a block a little too far ahead is held and connects when its time comes', async () => {
  const g = testGenesis();
  let clock = g.params.timestamp + 10_000;
  const { chain, close } = await openTestChain(g, undefined, { now: () => clock });
  try {
    const parent = await tipEntry(chain);
    const early = buildBlock({ parent, target: g.params.initialTarget, params: g.params, timestamp: clock + g.params.maxFutureDriftMs + 5_000 });
    const r = await chain.submitBlock(early, { source: 'peer-a' });
    assert.equal(r.status, 'held', `got ${r.status} ${r.reason ?? ''}`);
    assert.equal(chain.heldCount, 1);
    assert.equal(await chain.hasBlock(blockId(early)), true, 'a held block is not fetched again');
    await chain.releaseHeld();
    assert.equal(chain.tip.height, 0, 'not before its time');
    clock += 5_000;
    await chain.releaseHeld();
    assert.equal(chain.tip.idHex, blockIdHex(early));
    assert.equal(chain.heldCount, 0);
    // Far beyond the bound (past the hold window) it is refused, not held.
    const absurd = buildBlock({ parent: await tipEntry(chain), target: g.params.initialTarget, params: g.params, timestamp: clock + 24 * 3600_000 });
    const a = await chain.submitBlock(absurd, { source: 'peer-a' });
    assert.equal(a.status, 'invalid');
    assert.equal(a.reason, 'time-too-new');
    assert.equal(chain.knownInvalid(blockIdHex(absurd)), undefined, 'a future block may become valid: not remembered');
  } finally {
    await close();
  }
});

test('future block: the retry timer connects a held block on a real clock', async () => {
  const g = testGenesis({ timestamp: Date.now() - 60_000, maxFutureDriftMs: 1_000 });
  const { chain, close } = await openTestChain(g);
  try {
    const parent = await tipEntry(chain);
    const early = buildBlock({ parent, target: g.params.initialTarget, params: g.params, timestamp: Date.now() + 2_000 });
    const connected = new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('held block never connected')), 20_000);
      chain.once('block', (e) => { clearTimeout(t); resolve(e.id); });
    });
    assert.equal((await chain.submitBlock(early)).status, 'held');
    assert.equal(await connected, blockIdHex(early));
  } finally {
    await close();
  }
});

test('future-block flood: one source holds at most its share and cannot evict another source', async () => {
  const g = testGenesis();
  const clock = g.params.timestamp + 10_000;
  const { chain, close } = await openTestChain(g, undefined, { now: () => clock, heldLimits: { maxCount: 10, maxPerSource: 4 } });
  try {
    const parent = await tipEntry(chain);
    const future = (tag: bigint) => buildBlock({ parent, target: g.params.initialTarget, params: g.params, timestamp: clock + g.params.maxFutureDriftMs + 1_000, extraNonce: tag });
    const honest = future(1000n);
    assert.equal((await chain.submitBlock(honest, { source: 'peer-b' })).status, 'held');
    for (let i = 0n; i < 30n; i++) await chain.submitBlock(future(i), { source: 'peer-a' });
    assert.ok(chain.heldCount <= 5, `held ${chain.heldCount}`);
    assert.equal(await chain.hasBlock(blockId(honest)), true, "peer-b's block survives peer-a's flood");
  } finally {
    await close();
  }
});

test('orphan flood: one peer cannot fill the orphan pool or evict another peer\'s orphans', async () => {
  const g = testGenesis();
  const { chain, close } = await openTestChain(g, undefined, { orphanLimits: { maxCount: 30, maxPerSource: 10 } });
  try {
    const unknown = { id: new Uint8Array(32).fill(7), height: 5, timestamp: g.params.timestamp + 5_000 };
    const orphan = (tag: bigint) => buildBlock({ parent: unknown, target: g.params.initialTarget, params: g.params, extraNonce: tag });
    const honest = orphan(1000n);
    assert.equal((await chain.submitBlock(honest, { source: 'peer-b' })).status, 'orphan');
    for (let i = 0n; i < 60n; i++) assert.equal((await chain.submitBlock(orphan(i), { source: 'peer-a' })).status, 'orphan');
    assert.ok(chain.orphanCount <= 11, `pool holds ${chain.orphanCount}`);
    assert.equal(await chain.hasBlock(blockId(honest)), true, "peer-b's orphan survives peer-a's flood");
  } finally {
    await close();
  }
});

test('orphan with a forged body: refused before it takes a slot (merkle-checked)', async () => {
  const g = testGenesis();
  const { chain, close } = await openTestChain(g);
  try {
    const unknown = { id: new Uint8Array(32).fill(9), height: 5, timestamp: g.params.timestamp + 5_000 };
    const b = buildBlock({ parent: unknown, target: g.params.initialTarget, params: g.params });
    const forged: Block = { header: b.header, txs: [{ ...(b.txs[0] as CoinbaseTx), extraNonce: 99n }] };
    const r = await chain.submitBlock(forged, { source: 'peer-a' });
    assert.equal(r.status, 'invalid');
    assert.equal(r.reason, 'bad-merkle');
    assert.equal(chain.orphanCount, 0);
    assert.equal((await chain.submitBlock(b, { source: 'peer-b' })).status, 'orphan', 'the honest body under that header is still taken');
  } finally {
    await close();
  }
});
