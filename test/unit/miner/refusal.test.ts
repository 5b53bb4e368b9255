// The miner when the chain refuses a block it found (round 9). Real Chain on LevelDB, real
// mempool, real worker-thread search on the tiny test target. Failed before the fix: the miner
// built the same template again (same stale transactions), found the same block and was refused
// again, for ever, one warning per loop.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Miner, RefusalBackoff, isStaleTip, type MinedEvent, type RefusedEvent } from '../../../src/miner/index.js';
import { Mempool } from '../../../src/mempool/index.js';
import { txIdHex, type TransferTx } from '../../../src/core/index.js';
import type { Logger, LogFields } from '../../../src/log/index.js';
import { testGenesis, transfer, testAddress } from '../../helpers/fixtures.js';
import { openTestChain, childOf, tipEntry } from '../../helpers/chain-helpers.js';

/** A logger that keeps what was logged at warn (the level a refusal is reported at). */
function recordingLogger(): { logger: Logger; warns: { msg: string; fields?: LogFields }[] } {
  const warns: { msg: string; fields?: LogFields }[] = [];
  const noop = (): void => {};
  const logger: Logger = { debug: noop, info: noop, error: noop, warn: (msg, fields) => warns.push({ msg, fields }), child: () => logger };
  return { logger, warns };
}

/** Resolves on the first event `pred` accepts; rejects after `ms` (a generous bound, not a timing goal). */
function waitFor<T>(on: (cb: (e: T) => void) => () => void, pred: (e: T) => boolean, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error(`timed out waiting for ${what}`)); }, ms);
    const off = on((e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

/**
 * A chain and a pool that no longer follows it (its follow task died): the pool still holds a tx
 * that a block from elsewhere has confirmed, so every template built from it is refused.
 */
async function staleTemplateWorld(t: TestContext): Promise<{ c: Awaited<ReturnType<typeof openTestChain>>; pool: Mempool; stale: TransferTx }> {
  const g = testGenesis();
  const c = await openTestChain(g, undefined, {}, t);
  const pool = new Mempool(c.chain);
  const stale: TransferTx = transfer('alice', testAddress('bob'), 100n, 0n, g.id, 20_000n);
  assert.equal((await pool.add(stale)).accepted, true);
  assert.equal((await c.chain.submitBlock(await childOf(c.chain, await tipEntry(c.chain), [stale]))).status, 'connected');
  return { c, pool, stale };
}

test('miner re-mines a refused template', async (t) => {
  const { c, pool, stale } = await staleTemplateWorld(t);
  const { logger, warns } = recordingLogger();
  const miner = new Miner({ chain: c.chain, mempool: pool, minerAddress: testAddress('miner'), threads: 1, logger, refusalBackoffMs: { initial: 10, max: 200 } });
  t.after(() => miner.stop());
  const refused: RefusedEvent[] = [];
  miner.on('refused', (e) => refused.push(e));
  const connected = waitFor<MinedEvent>((cb) => { miner.on('mined', cb); return () => miner.off('mined', cb); }, (e) => e.result.status === 'connected', 20_000, 'a connected block');
  miner.start();
  const ok = await connected;
  await miner.stop();
  assert.ok(refused.length >= 1, 'the stale template was refused first');
  assert.equal(refused[0]!.reason, 'bad-nonce');
  assert.equal(refused[0]!.status, 'invalid');
  assert.ok(!ok.block.txs.some((x) => x.kind === 'transfer' && txIdHex(x) === txIdHex(stale)), 'the refused template was dropped, not mined again');
  assert.equal(pool.has(txIdHex(stale)), false, 'the refused template\'s stale tx left the pool');
  const refusalWarns = warns.filter((w) => w.msg === 'mined block refused');
  assert.equal(refusalWarns.length, 1, 'the refusal is logged once');
  assert.equal(refusalWarns[0]!.fields?.reason, 'bad-nonce');
});

test('a refusal back-off ignored a new tip: the miner sat out its wait while the chain moved', async (t) => {
  // As in "miner re-mines a refused template", the first template is refused; the back-off is 10
  // minutes. A block from elsewhere then moves the tip: the miner must mine on it now. Failed
  // before: it slept out the back-off and the wait below timed out.
  const { c, pool } = await staleTemplateWorld(t);
  const miner = new Miner({ chain: c.chain, mempool: pool, minerAddress: testAddress('miner'), threads: 1, logger: recordingLogger().logger, refusalBackoffMs: { initial: 600_000, max: 600_000 } });
  t.after(() => miner.stop());
  const refused = waitFor<RefusedEvent>((cb) => { miner.on('refused', cb); return () => miner.off('refused', cb); }, () => true, 20_000, 'the first refusal');
  miner.start();
  assert.equal((await refused).backoffMs, 600_000);
  const connected = waitFor<MinedEvent>((cb) => { miner.on('mined', cb); return () => miner.off('mined', cb); }, (e) => e.result.status === 'connected', 20_000, 'a connected block on the new tip');
  const other = await childOf(c.chain, await tipEntry(c.chain), [], 7n);
  assert.equal((await c.chain.submitBlock(other)).status, 'connected');
  const ok = await connected;
  await miner.stop();
  assert.equal(ok.block.header.height, other.header.height + 1, 'mined on the tip that moved');
});

test('miner backs off when refusals repeat (a broken template cannot spin a core)', async (t) => {
  // The chain's clock is 10 minutes behind the miner's: every block the miner finds is too far in
  // the future and held, never connected. The refusal repeats for as long as the clocks disagree.
  const g = testGenesis();
  const c = await openTestChain(g, undefined, { now: () => Date.now() - 600_000 }, t);
  const { logger, warns } = recordingLogger();
  const miner = new Miner({ chain: c.chain, minerAddress: testAddress('miner'), threads: 1, logger, refusalBackoffMs: { initial: 10, max: 40 } });
  t.after(() => miner.stop());
  const refused: RefusedEvent[] = [];
  const fifth = waitFor<RefusedEvent>((cb) => { miner.on('refused', cb); return () => miner.off('refused', cb); }, () => refused.length >= 5, 20_000, 'five refusals');
  miner.on('refused', (e) => refused.push(e));
  miner.start();
  await fifth;
  await miner.stop();
  assert.deepEqual(refused.slice(0, 5).map((e) => e.status), ['held', 'held', 'held', 'held', 'held']);
  assert.deepEqual(refused.slice(0, 5).map((e) => e.backoffMs), [10, 20, 40, 40, 40], 'each repeat waits twice as long, up to the cap');
  assert.deepEqual(refused.slice(0, 5).map((e) => e.repeats), [1, 2, 3, 4, 5]);
  assert.equal(warns.filter((w) => w.msg === 'mined block refused').length, 1, 'a repeating refusal is logged once, not once per block');
  assert.equal(miner.mined, 0);
});

test('refusal policy: a stale tip is no refusal; the wait doubles per repeat up to its cap, a new reason is news, a connected block ends the streak', () => {
  assert.equal(isStaleTip('side'), true);
  assert.equal(isStaleTip('low-work'), true);
  for (const s of ['invalid', 'orphan', 'held', 'duplicate'] as const) assert.equal(isStaleTip(s), false, s);
  const b = new RefusalBackoff({ initial: 100, max: 350 });
  assert.deepEqual(b.note('bad-nonce'), { repeats: 1, backoffMs: 100, news: true });
  assert.deepEqual(b.note('bad-nonce'), { repeats: 2, backoffMs: 200, news: false });
  assert.deepEqual(b.note('time-too-new'), { repeats: 3, backoffMs: 350, news: true });
  for (let i = 0; i < 100; i++) b.note('time-too-new');
  assert.equal(b.note('time-too-new').backoffMs, 350, 'capped, never overflowing');
  assert.equal(b.reset(), 104);
  assert.deepEqual(b.note('time-too-new'), { repeats: 1, backoffMs: 100, news: true });
});
