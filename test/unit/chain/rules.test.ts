// One test per consensus rejection reason, named after the reason it provokes; plus retarget math.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuleError, bigIntToTarget, headerId, encodeBlock, blockMerkleRoot, addressKey, txSender, type Block, type ChainParams, type TransferTx } from '../../../src/core/index.js';
import { bytesToBigInt } from '../../../src/crypto/index.js';
import {
  checkHeader, checkBlockBody, applyBlockToState, checkTransferStateless, blockReward, retargetWindow, retargetTarget, medianTimePast, EMPTY_ACCOUNT,
  type Account, type ParentContext,
} from '../../../src/chain/index.js';
import { testGenesis, buildBlock, transfer, testAddress, mineHeader, EASY_TARGET } from '../../helpers/fixtures.js';

const g = testGenesis();
const P = g.params;
const chainId = g.id;
const NOW = P.timestamp + 10_000;
const parentCtx: ParentContext = { id: g.id, height: 0, expectedTarget: EASY_TARGET, medianTimePast: P.timestamp };
const gParent = { id: g.id, height: 0, timestamp: P.timestamp };
const reason = (r: string) => (e: unknown) => {
  assert.ok(e instanceof RuleError, `expected RuleError(${r}), got ${String(e)}`);
  assert.equal(e.reason, r);
  return true;
};
const alice = addressKey(testAddress('alice'));
const state = (m: Record<string, Account>) => (k: string) => m[k] ?? EMPTY_ACCOUNT;
const rich = state({ [alice]: { balance: 10_000n, nonce: 0n } });

function fullCheck(b: Block, get = rich, params: ChainParams = P): void {
  checkHeader(b.header, parentCtx, params, NOW);
  checkBlockBody(b, params, chainId);
  applyBlockToState(b, get, params);
}

test('a valid block passes every tier', () => {
  const b = buildBlock({ parent: gParent, target: EASY_TARGET, params: P, txs: [transfer('alice', testAddress('bob'), 100n, 0n, chainId, 10n)] });
  fullCheck(b);
  const change = applyBlockToState(b, rich, P);
  assert.equal(change.after.get(alice)!.balance, 10_000n - 110n);
  assert.equal(change.after.get(alice)!.nonce, 1n);
  assert.equal(change.after.get(addressKey(testAddress('miner')))!.balance, blockReward(1, P) + 10n);
  assert.equal(change.before.get(alice)!.balance, 10_000n);
});

test('bad-pow: id above target', () => {
  const b = buildBlock({ parent: gParent, target: EASY_TARGET, params: P, mine: false });
  let h = b.header;
  while (bytesToBigInt(headerId(h)) <= EASY_TARGET) h = { ...h, nonce: h.nonce + 1 };
  assert.throws(() => checkHeader(h, parentCtx, P, NOW), reason('bad-pow'));
});
test('bad-target: target differs from the schedule', () => {
  const b = buildBlock({ parent: gParent, target: EASY_TARGET >> 1n, params: P });
  assert.throws(() => checkHeader(b.header, parentCtx, P, NOW), reason('bad-target'));
});
test('time-too-old: not after median-time-past', () => {
  const b = buildBlock({ parent: gParent, target: EASY_TARGET, params: P, timestamp: P.timestamp });
  assert.throws(() => checkHeader(b.header, parentCtx, P, NOW), reason('time-too-old'));
});
test('time-too-new: beyond the future drift', () => {
  const b = buildBlock({ parent: gParent, target: EASY_TARGET, params: P, timestamp: NOW + P.maxFutureDriftMs + 1 });
  assert.throws(() => checkHeader(b.header, parentCtx, P, NOW), reason('time-too-new'));
  const ok = buildBlock({ parent: gParent, target: EASY_TARGET, params: P, timestamp: NOW + P.maxFutureDriftMs });
  checkHeader(ok.header, parentCtx, P, NOW);
});
test('bad-prev: prevHash is not the parent', () => {
  const b = buildBlock({ parent: { ...gParent, id: new Uint8Array(32) }, target: EASY_TARGET, params: P });
  assert.throws(() => checkHeader(b.header, parentCtx, P, NOW), reason('bad-prev'));
});
test('bad-height: height is not parent + 1', () => {
  const b = buildBlock({ parent: { ...gParent, height: 5 }, target: EASY_TARGET, params: P });
  assert.throws(() => checkHeader(b.header, parentCtx, P, NOW), reason('bad-height'));
});
test('bad-merkle: header does not commit to the txs', () => {
  const b = buildBlock({ parent: gParent, target: EASY_TARGET, params: P, txs: [transfer('alice', testAddress('bob'), 1n, 0n, chainId)] });
  const stripped = { ...b, txs: b.txs.slice(0, 1) };
  assert.throws(() => checkBlockBody(stripped, P, chainId), reason('bad-merkle'));
});
test('bad-coinbase: missing, misplaced, doubled or wrong height', () => {
  const b = buildBlock({ parent: gParent, target: EASY_TARGET, params: P, txs: [transfer('alice', testAddress('bob'), 1n, 0n, chainId)] });
  const remerkle = (blk: Block): Block => ({ ...blk, header: { ...blk.header, merkleRoot: blockMerkleRoot(blk.txs) } });
  assert.throws(() => checkBlockBody(remerkle({ ...b, txs: [b.txs[1]!] }), P, chainId), reason('bad-coinbase'));
  assert.throws(() => checkBlockBody(remerkle({ ...b, txs: [b.txs[1]!, b.txs[0]!] }), P, chainId), reason('bad-coinbase'));
  assert.throws(() => checkBlockBody(remerkle({ ...b, txs: [b.txs[0]!, { ...b.txs[0]!, extraNonce: 1n } as Block['txs'][0]] }), P, chainId), reason('bad-coinbase'));
  assert.throws(() => checkBlockBody(remerkle({ ...b, txs: [{ ...b.txs[0]!, height: 7 } as Block['txs'][0]] }), P, chainId), reason('bad-coinbase'));
  assert.throws(() => checkBlockBody(remerkle({ ...b, txs: [] }), P, chainId), reason('bad-coinbase'));
});
test('bad-coinbase-amount: miner pays itself more than reward + fees', () => {
  const b = buildBlock({ parent: gParent, target: EASY_TARGET, params: P });
  const cb = { ...b.txs[0]!, amount: blockReward(1, P) + 1n } as Block['txs'][0];
  assert.throws(() => applyBlockToState({ ...b, txs: [cb] }, rich, P), reason('bad-coinbase-amount'));
});
test('duplicate-tx: the same transfer twice', () => {
  const t = transfer('alice', testAddress('bob'), 1n, 0n, chainId);
  const b = buildBlock({ parent: gParent, target: EASY_TARGET, params: P, txs: [t, t] });
  assert.throws(() => checkBlockBody(b, P, chainId), reason('duplicate-tx'));
});
test('block-too-large: encoded size above maxBlockBytes', () => {
  const txs = Array.from({ length: 10 }, (_, i) => transfer('alice', testAddress('bob'), 1n, BigInt(i), chainId));
  const b = buildBlock({ parent: gParent, target: EASY_TARGET, params: P, txs });
  const small = { ...P, maxBlockBytes: encodeBlock(b).length - 1 };
  assert.throws(() => checkBlockBody(b, small, chainId), reason('block-too-large'));
});
test('bad-signature: a tampered amount no longer verifies', () => {
  const t = transfer('alice', testAddress('bob'), 1n, 0n, chainId);
  assert.throws(() => checkTransferStateless({ ...t, amount: 2n }, chainId), reason('bad-signature'));
  assert.throws(() => checkTransferStateless({ ...t, signature: new Uint8Array(64) }, chainId), reason('bad-signature'));
});
test('bad-chain-id: signed for another network', () => {
  const t = transfer('alice', testAddress('bob'), 1n, 0n, new Uint8Array(32).fill(9));
  assert.throws(() => checkTransferStateless(t, chainId), reason('bad-chain-id'));
});
test('bad-amount: zero amount, and amount + fee overflow', () => {
  assert.throws(() => checkTransferStateless(transfer('alice', testAddress('bob'), 0n, 0n, chainId), chainId), reason('bad-amount'));
  assert.throws(() => checkTransferStateless(transfer('alice', testAddress('bob'), (1n << 64n) - 1n, 0n, chainId, 1n), chainId), reason('bad-amount'));
});
test('bad-nonce: replayed and skipped nonces', () => {
  for (const n of [1n, 5n]) {
    const b = buildBlock({ parent: gParent, target: EASY_TARGET, params: P, txs: [transfer('alice', testAddress('bob'), 1n, n, chainId)] });
    assert.throws(() => fullCheck(b), reason('bad-nonce'));
  }
  const t0 = transfer('alice', testAddress('bob'), 1n, 0n, chainId);
  const replay = buildBlock({ parent: gParent, target: EASY_TARGET, params: P, txs: [t0] });
  assert.throws(() => applyBlockToState(replay, state({ [alice]: { balance: 100n, nonce: 1n } }), P), reason('bad-nonce'));
});
test('insufficient-funds: amount + fee above balance', () => {
  const b = buildBlock({ parent: gParent, target: EASY_TARGET, params: P, txs: [transfer('alice', testAddress('bob'), 9_001n, 0n, chainId, 1000n)] });
  assert.throws(() => fullCheck(b), reason('insufficient-funds'));
  // Spending within one block is sequential: the second spend sees the first.
  const two = buildBlock({ parent: gParent, target: EASY_TARGET, params: P, txs: [transfer('alice', testAddress('bob'), 6000n, 0n, chainId, 0n), transfer('alice', testAddress('bob'), 6000n, 1n, chainId, 0n)] });
  assert.throws(() => fullCheck(two), reason('insufficient-funds'));
});
test('balance-overflow: recipient balance past 2^64-1', () => {
  const bob = addressKey(testAddress('bob'));
  const b = buildBlock({ parent: gParent, target: EASY_TARGET, params: P, txs: [transfer('alice', testAddress('bob'), 10n, 0n, chainId, 0n)] });
  assert.throws(() => applyBlockToState(b, state({ [alice]: { balance: 100n, nonce: 0n }, [bob]: { balance: (1n << 64n) - 5n, nonce: 0n } }), P), reason('balance-overflow'));
});

test('reward halves every halvingInterval and reaches zero', () => {
  const p = { blockReward: 5_000_000_000n, halvingInterval: 10 };
  assert.equal(blockReward(0, p), 5_000_000_000n);
  assert.equal(blockReward(9, p), 5_000_000_000n);
  assert.equal(blockReward(10, p), 2_500_000_000n);
  assert.equal(blockReward(25, p), 1_250_000_000n);
  assert.equal(blockReward(10 * 64, p), 0n);
});

test('median-time-past of 11', () => {
  assert.equal(medianTimePast([5, 1, 9, 3, 7, 11, 2, 8, 4, 10, 6]), 6);
  assert.equal(medianTimePast([3, 1, 2]), 2);
});

test('retarget: window only at interval boundaries, never from genesis, and includes the boundary interval', () => {
  const p = { retargetInterval: 10 };
  assert.equal(retargetWindow(9, p), null);
  assert.deepEqual(retargetWindow(10, p), { firstHeight: 1, lastHeight: 9 });
  assert.deepEqual(retargetWindow(20, p), { firstHeight: 9, lastHeight: 19 }, 'from the last block of the previous window');
  assert.equal(retargetWindow(21, p), null);
});

test('retarget: ratio clamped at both edges and never easier than powLimit', () => {
  const params = { targetBlockTimeMs: 1000, maxAdjustment: 4, powLimit: 1n << 250n };
  const w = { firstHeight: 10, lastHeight: 20 }; // expected span 10 s
  const t = 1n << 200n;
  assert.equal(retargetTarget(params, t, w, 0, 10_000), t, 'on schedule keeps the target');
  assert.equal(retargetTarget(params, t, w, 0, 20_000), t * 2n, 'twice as slow doubles the target');
  assert.equal(retargetTarget(params, t, w, 0, 40_000), t * 4n, 'exactly at the upper clamp');
  assert.equal(retargetTarget(params, t, w, 0, 1_000_000), t * 4n, 'beyond the clamp is clamped to 4x');
  assert.equal(retargetTarget(params, t, w, 0, 2_500), t / 4n, 'exactly at the lower clamp');
  assert.equal(retargetTarget(params, t, w, 0, 1), t / 4n, 'much faster is clamped to 1/4');
  assert.equal(retargetTarget(params, t, w, 0, -5_000), t / 4n, 'time going backwards is clamped too');
  assert.equal(retargetTarget(params, 1n << 249n, w, 0, 40_000), 1n << 250n, 'capped at powLimit');
  assert.equal(retargetTarget(params, 1n, w, 0, 1), 1n, 'never zero');
});

test('fullCheck on a mined block is deterministic (sanity for the fixtures)', () => {
  const b = buildBlock({ parent: gParent, target: EASY_TARGET, params: P });
  assert.deepEqual(mineHeader({ ...b.header, nonce: 0 }), b.header);
  assert.equal(bigIntToTarget(EASY_TARGET).length, 32);
  assert.ok(txSender(transfer('alice', testAddress('bob'), 1n, 0n, chainId) as TransferTx).length === 20);
});
