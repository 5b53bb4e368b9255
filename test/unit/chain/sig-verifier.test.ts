// SignatureVerifier (workers and the main thread share one claim counter) and Chain.preverify.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignatureVerifier } from '../../../src/chain/sig-verifier.js';
import { CLAIM, type VerifyJob } from '../../../src/chain/sig-verify-worker.js';
import { decodeBlock, encodeBlock, txSigningBytes, type TransferTx } from '../../../src/core/index.js';
import { buildBlock, testGenesis, transfer, testAddress } from '../../helpers/fixtures.js';
import { openTestChain, childOf, tipEntry } from '../../helpers/chain-helpers.js';

const g = testGenesis();
const txs = (n: number): TransferTx[] => Array.from({ length: n }, (_, i) => transfer('alice', testAddress('bob'), 1n, BigInt(i), g.id));
const items = (list: TransferTx[]) => list.map((t) => ({ msg: txSigningBytes(t), sig: t.signature, pub: t.from }));

test('SignatureVerifier: the first invalid index, whichever thread verified it, with 1 and 2 workers', async () => {
  const list = items(txs(150));
  const broken = (at: number[]) => list.map((x, i) => (at.includes(i) ? { ...x, sig: list[(i + 1) % list.length]!.sig } : x));
  for (const threads of [1, 2]) {
    const v = new SignatureVerifier(threads);
    v.start();
    try {
      assert.equal(await v.firstInvalid(list), -1);
      assert.equal(await v.firstInvalid(broken([149])), 149);
      assert.equal(await v.firstInvalid(broken([140, 7, 90])), 7);
      // Two jobs in flight at once: each gets its own answer.
      const a = v.begin(broken([100]));
      const b = v.begin(broken([3]));
      assert.deepEqual([await b.finish(), await a.finish()], [3, 100]);
    } finally {
      await v.stop();
    }
  }
});

test('SignatureVerifier: workers report ready once warmed up, before any job; stopped, none is left', async () => {
  const v = new SignatureVerifier(2);
  assert.deepEqual(v.workerCounts, { spawned: 0, ready: 0 }, 'nothing spawned before start');
  v.start();
  try {
    assert.equal(v.workerCounts.spawned, 2);
    // Readiness is the workers' own message after their warm-up check: no job was ever posted.
    const end = performance.now() + 30_000;
    while (v.workerCounts.ready < 2 && performance.now() < end) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(v.workerCounts, { spawned: 2, ready: 2 }, 'both workers ready with no job posted');
    assert.equal(await v.firstInvalid(items(txs(64))), -1, 'and they verify as before');
  } finally {
    await v.stop();
  }
  assert.deepEqual(v.workerCounts, { spawned: 0, ready: 0 });
});

test('SignatureVerifier: workers gone mid-job leave the main thread to finish it correctly', async () => {
  const v = new SignatureVerifier(1);
  v.start();
  const list = items(txs(120));
  list[110] = { ...list[110]!, sig: list[0]!.sig };
  const pending = v.begin(list);
  await v.stop();
  assert.equal(await pending.finish(), 110);
  assert.equal(await v.firstInvalid(list), 110); // no workers at all: inline
});

test('a verify worker stalled on a claimed signature never holds the main thread: finish() checks that item itself', { timeout: 20_000 }, async () => {
  const v = new SignatureVerifier(1);
  v.start();
  try {
    const list = items(txs(200));
    list[5] = { ...list[5]!, sig: list[6]!.sig };
    const pending = v.begin(list);
    // This thread plays a worker that claims an item and then never finishes it (descheduled,
    // wedged): the claim counter is the one the real worker and finish() share.
    const job = (v as unknown as { pending: VerifyJob[] }).pending.at(-1)!;
    const stalled = Atomics.add(new Int32Array(job.control), CLAIM, 1);
    assert.ok(stalled < list.length, 'the stalled claim holds a real item');
    // Before, finish() waited for the claimed item while the worker lived: forever here.
    assert.equal(await pending.finish(), 5);
  } finally {
    await v.stop();
  }
});

test('Chain.preverify: the result is picked up by submitBlock; a bad signature still gives bad-signature; bad work is ignored', async () => {
  const { chain, close } = await openTestChain(g);
  try {
    const good = await childOf(chain, await tipEntry(chain), txs(60));
    assert.equal(chain.preverify(good), true);
    assert.equal(chain.preverify(good), false); // already under way
    assert.equal((await chain.submitBlock(good)).status, 'connected');

    const signed = Array.from({ length: 60 }, (_, i) => transfer('alice', testAddress('bob'), 1n, BigInt(60 + i), g.id));
    signed[50] = { ...signed[50]!, signature: signed[49]!.signature };
    const bad = await childOf(chain, await tipEntry(chain), signed);
    chain.preverify(bad);
    const r = await chain.submitBlock(bad);
    assert.equal(r.status, 'invalid');
    assert.equal(r.reason, 'bad-signature');

    // A header whose id cannot meet its target: no signature work is spent on it.
    const noWork = { ...good, header: { ...good.header, target: new Uint8Array(32) } };
    assert.equal(chain.preverify(noWork), false);
  } finally {
    await close();
  }
});

test('verify handoff cloned every signature: the transfers of a block go to the workers as one shared job and the first bad one is found', async () => {
  const signed = txs(120);
  signed[77] = { ...signed[77]!, signature: signed[76]!.signature };
  const block = buildBlock({ parent: { id: g.id, height: 0, timestamp: g.params.timestamp }, target: g.params.initialTarget, params: g.params, txs: signed });
  // Decoded, as a syncing node has them: the carried bytes are what is shared with the workers.
  const transfers = decodeBlock(encodeBlock(block)).txs.filter((t): t is TransferTx => t.kind === 'transfer');
  for (const threads of [1, 2]) {
    const v = new SignatureVerifier(threads);
    v.start();
    try {
      assert.equal(await v.beginTransfers(transfers).finish(), 77);
      assert.equal(await v.beginTransfers(transfers.filter((_, i) => i !== 77)).finish(), -1);
      // Not decoded (built here): encoded for the job, same answer.
      assert.equal(await v.beginTransfers(signed).finish(), 77);
    } finally {
      await v.stop();
    }
  }
  // Malformed items are never packed into fixed-width slots: checked inline, still refused.
  const v = new SignatureVerifier(1);
  v.start();
  try {
    const list = items(txs(40));
    list[5] = { ...list[5]!, sig: list[5]!.sig.subarray(0, 63) };
    assert.equal(await v.firstInvalid(list), 5);
  } finally {
    await v.stop();
  }
});

test('verification overlapping the write: signatures checked by help() while a block is written give the same first bad index', async () => {
  const list = items(txs(150));
  const broken = (at: number) => list.map((x, i) => (i === at ? { ...x, sig: list[(i + 1) % list.length]!.sig } : x));
  const v = new SignatureVerifier(1);
  v.start();
  try {
    for (const at of [0, 60, 149]) {
      const a = v.begin(broken(at));
      const b = v.begin(list);
      v.help(1_000); // long enough to claim whatever the worker has not: both jobs end up claimed here or there
      assert.equal(await a.finish(), at);
      assert.equal(await b.finish(), -1);
    }
    // A job already finished is not helped again; help with nothing pending returns at once.
    v.help(1_000);
  } finally {
    await v.stop();
  }
});
