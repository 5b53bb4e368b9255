// The verified mark on a real LevelDB: start-up walks the main chain only from the mark (flat in
// chain length), the mark moves up with the tip at each open and down in the very batch of a reorg
// that rewrites below it, and damage below it is found once the mark is dropped (by `--check`, or
// because it no longer names the main-chain block at its height). Like Core, a start trusts what an
// earlier start verified: only the deliberate full check looks below the mark.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StoreDamagedError, rebuildChainState } from '../../../src/chain/index.js';
import { blockId, workForTarget } from '../../../src/core/index.js';
import { toHex } from '../../../src/crypto/index.js';
import { silentLogger } from '../../../src/log/index.js';
import { ChainStore, MARK_TAIL, decodeVerifiedMark, heightKey, recordWalk, verifyStore } from '../../../src/store/index.js';
import { tempDir, openChainAt, extend, childOf, checkInvariants } from '../../helpers/chain-helpers.js';
import { track } from '../../helpers/cleanup.js';
import { testGenesis } from '../../helpers/fixtures.js';

const g = testGenesis();

async function withRawStore<T>(dir: string, fn: (s: ChainStore) => Promise<T>): Promise<T> {
  const s = await ChainStore.open({ dataDir: dir, genesisId: g.id });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

/** The mark as persisted (read back through a fresh open, not the in-memory copy). */
async function persistedMark(dir: string): Promise<{ height: number; id: string } | undefined> {
  return withRawStore(dir, async (s) => {
    const m = s.verifiedMark;
    return m && { height: m.height, id: toHex(m.id) };
  });
}

/** Deletes a main-chain entry the way a broken disk would: behind the store's back, mark untouched. */
async function loseMainEntry(dir: string, height: number): Promise<void> {
  await withRawStore(dir, async (s) => {
    await (s.db.sublevel('main', { keyEncoding: 'view', valueEncoding: 'view' }) as unknown as { del(k: Uint8Array): Promise<void> }).del(heightKey(height));
  });
}

/** A 60-block chain that has been opened once more since, so its mark is at the tip. */
async function markedStore(dir: string): Promise<void> {
  const first = await openChainAt(dir, g);
  await extend(first, 60);
  await first.close();
  const again = await openChainAt(dir, g);
  await again.close();
}

test('the verified mark moves with the tip: up at each open, down in the batch of a reorg below it', async (t) => {
  const dir = tempDir('kadchain-mark-', t);
  let chain = await openChainAt(dir.path, g);
  assert.deepEqual(chain.store.verifiedMark && { ...chain.store.verifiedMark, id: toHex(chain.store.verifiedMark.id) }, { height: 0, id: g.idHex }, 'a new store is verified through genesis');
  await extend(chain, 30);
  await chain.close();
  assert.equal((await persistedMark(dir.path))?.height, 0, 'blocks written after the walk are not vouched for until a walk sees them');

  chain = await openChainAt(dir.path, g);
  track(t, chain);
  assert.equal(chain.store.verifiedMark?.height, 30);
  assert.equal(toHex(chain.store.verifiedMark!.id), chain.tip.idHex, 'the mark names the tip it was walked to');

  // A branch from height 20 that overtakes: the reorg rewrites main[21..] under the mark.
  let parent = (await chain.entry((await chain.store.getMainId(20))!))!;
  // Each LevelDB batch: does it delete main-chain entries, and which mark height does it write?
  const batches: { markHeight?: number; deletesMain: boolean }[] = [];
  const db = chain.store.db as unknown as { batch: (ops: { type: string; key: Uint8Array; value?: Uint8Array; sublevel: unknown }[]) => Promise<void> };
  const orig = db.batch.bind(db);
  const [mainSub, metaSub] = [chain.store.sub('main'), chain.store.sub('meta')];
  db.batch = async (ops) => {
    await orig(ops);
    const mark = ops.find((o) => o.type === 'put' && o.sublevel === metaSub && new TextDecoder().decode(o.key) === 'verified');
    batches.push({ markHeight: mark?.value && decodeVerifiedMark(mark.value).height, deletesMain: ops.some((o) => o.type === 'del' && o.sublevel === mainSub) });
  };
  // The branch arrives as sync hands it over: with the work its checked headers prove (a side
  // branch this deep is stored only then).
  const provenWork = parent.work + 11n * workForTarget(g.params.initialTarget);
  for (let i = 0; i < 11; i++) {
    const b = await childOf(chain, parent, [], 7n);
    const r = await chain.submitBlock(b, { provenWork });
    assert.ok(r.status === 'side' || r.status === 'connected', `branch block ${i}: ${r.status} ${r.reason ?? ''}`);
    parent = (await chain.entry(blockId(b)))!;
  }
  db.batch = orig;
  assert.equal(chain.tip.height, 31);
  assert.equal(chain.tip.idHex, parent.idHex, 'the branch took over');
  const firstRewrite = batches.find((b) => b.deletesMain);
  assert.ok(firstRewrite, 'the reorg deleted main-chain entries');
  assert.ok(firstRewrite.markHeight !== undefined && firstRewrite.markHeight < 30, 'the first batch that rewrote below the mark lowered it, atomically');
  assert.equal(chain.store.verifiedMark?.height, 20, 'the mark sits at the fork point once the reorg is done');
  assert.equal(toHex(chain.store.verifiedMark!.id), toHex((await chain.store.getMainId(20))!));
  await chain.close();
  assert.deepEqual(await persistedMark(dir.path), { height: 20, id: toHex((await withRawStore(dir.path, (s) => s.getMainId(20)))!) }, 'the lowered mark is on disk');

  chain = await openChainAt(dir.path, g);
  assert.equal(chain.store.verifiedMark?.height, 31, 'the next open walks from the fork point and moves the mark to the new tip');
  await checkInvariants(chain, g);
});

test('a start walks the main chain only from the verified mark, less a small tail', async (t) => {
  const dir = tempDir('kadchain-mark-', t);
  await markedStore(dir.path);
  await withRawStore(dir.path, async (s) => {
    assert.equal(s.verifiedMark?.height, 60);
    const report = await verifyStore(s, 10);
    assert.equal(report.damage, undefined);
    assert.equal(report.walkedFrom, 50, 'from the full-check depth (50) when the mark-less-tail (54) is above it');
    assert.equal((await verifyStore(s, 2)).walkedFrom, 60 - MARK_TAIL, 'from the mark less the tail');
    assert.equal((await verifyStore(s, Infinity)).walkedFrom, 0, 'the full check ignores the mark');
  });
});

test('a main-chain entry lost below the verified mark: a start trusts the mark, --check finds it and drops the mark, the next start refuses naming it', async (t) => {
  const dir = tempDir('kadchain-mark-', t);
  await markedStore(dir.path);
  await loseMainEntry(dir.path, 7);

  // What Core does too: a start checks the top of the chain, not what an earlier start verified.
  const trusting = await openChainAt(dir.path, g, { checkDepth: 10 });
  assert.equal(trusting.tip.height, 60);
  await trusting.close();

  // `kadchain node --check`: the whole chain, whatever the mark says; damage drops the mark.
  await withRawStore(dir.path, async (s) => {
    const report = await verifyStore(s, Infinity);
    assert.equal(report.damage?.height, 7);
    assert.equal(report.walkedFrom, 0);
    assert.equal(await recordWalk(s, report), true);
    assert.equal(s.verifiedMark, undefined);
  });
  assert.equal(await persistedMark(dir.path), undefined, 'the dropped mark is on disk');

  await assert.rejects(openChainAt(dir.path, g, { checkDepth: 10 }), (e: unknown) => e instanceof StoreDamagedError && e.damage.height === 7);
  const healed = await openChainAt(dir.path, g, { checkDepth: 10, onDamage: 'heal' });
  track(t, healed);
  assert.equal(healed.tip.height, 6, 'rolled back below the damage');
  assert.deepEqual(healed.store.verifiedMark && { height: healed.store.verifiedMark.height, id: toHex(healed.store.verifiedMark.id) }, { height: 6, id: healed.tip.idHex }, 'the healed store is verified through its new tip');
  await checkInvariants(healed, g);
});

test('a verified mark that no longer names the main-chain block at its height is ignored: the walk starts at genesis', async (t) => {
  const dir = tempDir('kadchain-mark-', t);
  await markedStore(dir.path);
  await withRawStore(dir.path, async (s) => {
    await s.setVerifiedMark({ height: 55, id: new Uint8Array(32).fill(9) });
  });
  await loseMainEntry(dir.path, 7);
  await assert.rejects(openChainAt(dir.path, g, { checkDepth: 10 }), (e: unknown) => e instanceof StoreDamagedError && e.damage.height === 7);

  // A mark above the tip (a store rolled back behind its back) is ignored the same way.
  const other = tempDir('kadchain-mark-', t);
  await markedStore(other.path);
  await withRawStore(other.path, async (s) => {
    await s.setVerifiedMark({ height: 500, id: (await s.getMainId(60))! });
    const report = await verifyStore(s, 10);
    assert.equal(report.walkedFrom, 0);
  });
});

test('a reindex drops the mark with the main-chain records; the next open sets it at the rebuilt tip', async (t) => {
  const dir = tempDir('kadchain-mark-', t);
  await markedStore(dir.path);
  await withRawStore(dir.path, async (s) => {
    assert.equal(s.verifiedMark?.height, 60);
    const r = await rebuildChainState(s, g, silentLogger);
    assert.equal(r.height, 60);
    assert.equal(s.verifiedMark, undefined);
  });
  assert.equal(await persistedMark(dir.path), undefined);
  const chain = await openChainAt(dir.path, g);
  track(t, chain);
  assert.equal(chain.store.verifiedMark?.height, 60);
});

test('the chunked full check still pins damage to its height: an account record that no longer decodes', async (t) => {
  const dir = tempDir('kadchain-mark-', t);
  await markedStore(dir.path);
  await withRawStore(dir.path, async (s) => {
    // Every block pays its coinbase to the same address, so its account is touched at every height.
    const undo = (await s.getUndo((await s.getMainId(55))!))!;
    assert.ok(undo.length > 0);
    await s.batch().put('accounts', undo[0]!.address, new Uint8Array([1, 2, 3])).write();
    const report = await verifyStore(s, 10);
    assert.equal(report.damage?.height, 50, 'the lowest checked height that touches it');
    assert.match(report.damage!.what, /accounts touched at height 50/);
  });
});
