// The tx index follows block connection in batches of its own (tx-index.ts): a lookup still finds a
// tx the index has not reached, a crash leaves the index behind (never ahead) and the next open
// catches it up, a reorg takes the rows of disconnected blocks away, and a connect waits for the
// index rather than let it trail without bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { addressFromPublicKey, blockId, txId, txIdHex, type Block } from '../../../src/core/index.js';
import { fromHex, toHex } from '../../../src/crypto/index.js';
import { Chain, workForTarget } from '../../../src/chain/index.js';
import { ChainStore } from '../../../src/store/index.js';
import { testGenesis, testKey, testAddress, transfer } from '../../helpers/fixtures.js';
import { tempDir, openChainAt, openTestChain, checkInvariants, offlineBranch } from '../../helpers/chain-helpers.js';
import { spawnTracked, track } from '../../helpers/cleanup.js';

const g = testGenesis({ alloc: [{ address: addressFromPublicKey(testKey('alice').publicKey), amount: 1_000_000_000n }] });
/** An index that writes only when asked (flush) or when a connect must wait for it. */
const LAZY = { txIndex: { quietMs: 3_600_000, batchBlocks: 1000, maxLagBlocks: 10_000 } };
const child = fileURLToPath(new URL('../../helpers/tx-index-child.js', import.meta.url));


/** A tx row (block id, position) or the index tip (block id, height) in comparable form. */
function rowOf(r: { blockId: Uint8Array; index: number } | { id: Uint8Array; height: number } | undefined): { blockId: string; index: number } | undefined {
  if (!r) return undefined;
  return 'blockId' in r ? { blockId: toHex(r.blockId), index: r.index } : { blockId: toHex(r.id), index: r.height };
}

async function submitAll(chain: Chain, blocks: Block[], provenWork?: bigint): Promise<void> {
  for (const b of blocks) {
    const r = await chain.submitBlock(b, { provenWork });
    assert.ok(r.status === 'connected' || r.status === 'side', `${r.status} ${r.reason ?? ''}`);
  }
}

test('tx index: a tx of a just-connected block is found before the index has written it', async (t) => {
  const { chain } = await openTestChain(g, undefined, LAZY, t);
  const pay = transfer('alice', testAddress('bob'), 500n, 0n, g.id, 10n);
  const [b1, b2] = offlineBranch(g, 2, 1n, (i) => (i === 1 ? [pay] : []));
  await submitAll(chain, [b1!, b2!]);
  const id = txId(pay);
  assert.equal(await chain.store.getTxLocation(id), undefined, 'the index has not written the row yet');
  assert.equal(chain.txIndex.tip.height, 0);
  const got = await chain.getTx(id);
  assert.ok(got, 'found from the connected block the index has not reached');
  assert.equal(got.height, 2);
  assert.equal(got.index, 1);
  assert.equal(got.blockId, toHex(blockId(b2!)));
  assert.equal(await chain.getTx(fromHex('ab'.repeat(32))), undefined, 'an unknown id is still not found');
  await chain.txIndex.flush();
  assert.equal(chain.txIndex.tip.height, 2);
  assert.deepEqual(rowOf(await chain.store.getTxLocation(id)), { blockId: toHex(blockId(b2!)), index: 1 });
  assert.deepEqual(rowOf(await chain.store.getTxIndexTip()), { blockId: toHex(blockId(b2!)), index: 2 }, 'the index tip is written with its rows');
});

test('tx index: SIGKILL with the index behind the chain: the reopened node finds every tx and catches up', { timeout: 60_000 }, async (t) => {
  const dir = tempDir('kadchain-txindex-', t);
  const proc = spawnTracked(child, [dir.path, '8'], { t });
  const exited = once(proc, 'exit');
  const txs: { id: string; height: number; index: number }[] = [];
  let ready: string | undefined;
  for await (const line of createInterface({ input: proc.stdout! })) {
    const [kind, a, b, c] = line.split(' ');
    if (kind === 'tx') txs.push({ id: a!, height: Number(b), index: Number(c) });
    if (kind === 'ready') {
      ready = `${a} ${b}`;
      break;
    }
  }
  assert.equal(ready, '8 0', 'the child connected 8 blocks and its index stayed at genesis');
  proc.kill('SIGKILL');
  assert.equal((await exited)[1], 'SIGKILL');

  // On disk: the chain at 8, the index behind it at genesis, no row for any block above it.
  const raw = await ChainStore.open({ dataDir: dir.path, genesisId: g.id });
  try {
    assert.equal((await raw.getTxIndexTip())?.height, 0);
    for (const tx of txs) assert.equal(await raw.getTxLocation(fromHex(tx.id)), undefined, 'the index is never ahead of its tip');
  } finally {
    await raw.close();
  }

  const chain = await openChainAt(dir.path, g, LAZY);
  track(t, chain);
  assert.equal(chain.tip.height, 8);
  for (const tx of txs) {
    const got = await chain.getTx(tx.id);
    assert.ok(got, `tx ${tx.id} found`);
    assert.equal(got.height, tx.height);
    assert.equal(got.index, tx.index);
  }
  assert.equal(chain.txIndex.tip.height, 8, 'the lookup of a block not in memory caught the index up');
  for (const tx of txs) assert.equal((await chain.store.getTxLocation(fromHex(tx.id)))?.index, tx.index);
  await checkInvariants(chain, g);
});

test('tx index left behind at close: a node closed right after connecting blocks opens with every row written, nothing to index again', async (t) => {
  const dir = tempDir('kadchain-txindex-', t);
  const first = await openChainAt(dir.path, g, LAZY);
  const blocks = offlineBranch(g, 6, 1n, (i) => [transfer('alice', testAddress('bob'), 10n, BigInt(i), g.id, 10n)]);
  await submitAll(first, blocks);
  assert.equal(first.txIndex.tip.height, 0, 'the lazy index has written nothing before the close');
  await first.close();
  const chain = await openChainAt(dir.path, g, LAZY);
  track(t, chain);
  assert.equal(chain.txIndex.tip.height, 6, 'the close wrote the rows it held: the open has no lag to catch up');
  assert.deepEqual(rowOf(await chain.store.getTxIndexTip()), { blockId: chain.tip.idHex, index: 6 });
  const last = blocks[5]!;
  assert.deepEqual(rowOf(await chain.store.getTxLocation(txId(last.txs[1]!))), { blockId: toHex(blockId(last)), index: 1 });
});

test('tx index: an open with the index behind catches up in the background', async (t) => {
  const dir = tempDir('kadchain-txindex-', t);
  const first = await openChainAt(dir.path, g, LAZY);
  await submitAll(first, offlineBranch(g, 6, 1n, (i) => [transfer('alice', testAddress('bob'), 10n, BigInt(i), g.id, 10n)]));
  assert.equal(first.txIndex.tip.height, 0);
  // The store goes away under the chain (a disk gone at shutdown): the close's index write fails,
  // is logged, and leaves the index behind for the next open, as a crash would.
  await first.store.close();
  await first.close();
  const chain = await openChainAt(dir.path, g, { txIndex: { quietMs: 3_600_000, batchBlocks: 4 } });
  track(t, chain);
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`index stuck at ${chain.txIndex.tip.height}`)), 20_000);
    const poll = setInterval(() => {
      if (chain.txIndex.tip.height !== 6) return;
      clearInterval(poll);
      clearTimeout(deadline);
      resolve();
    }, 5);
  });
  assert.deepEqual(rowOf(await chain.store.getTxIndexTip()), { blockId: chain.tip.idHex, index: 6 });
});

test('tx index: a reorg removes the index rows of the disconnected blocks', async (t) => {
  for (const indexed of [true, false]) {
    const { chain } = await openTestChain(g, undefined, LAZY, t);
    const onlyA = transfer('alice', testAddress('bob'), 700n, 0n, g.id, 10n);
    const onlyB = transfer('alice', testAddress('carol'), 900n, 0n, g.id, 10n);
    const a = offlineBranch(g, 3, 1n, (i) => (i === 1 ? [onlyA] : []));
    const b = offlineBranch(g, 4, 2n, (i) => (i === 2 ? [onlyB] : []));
    await submitAll(chain, a);
    if (indexed) {
      await chain.txIndex.flush();
      assert.ok(await chain.store.getTxLocation(txId(onlyA)), 'indexed before the reorg');
    }
    await submitAll(chain, b, 5n * workForTarget(g.params.initialTarget));
    assert.equal(chain.tip.idHex, toHex(blockId(b[3]!)), 'the longer branch won');
    assert.equal(await chain.store.getTxLocation(txId(onlyA)), undefined, `no row left for a disconnected block's tx (indexed: ${indexed})`);
    assert.equal(await chain.getTx(txId(onlyA)), undefined);
    assert.ok(chain.txIndex.tip.height <= chain.tip.height);
    assert.equal((await chain.getTx(txIdHex(onlyB)))?.height, 3);
    await chain.txIndex.flush();
    assert.deepEqual(rowOf(await chain.store.getTxLocation(txId(onlyB))), { blockId: toHex(blockId(b[2]!)), index: 1 });
    assert.equal(await chain.store.getTxLocation(txId(onlyA)), undefined);
    assert.deepEqual(rowOf(await chain.store.getTxIndexTip()), { blockId: toHex(blockId(b[3]!)), index: 4 });
  }
});

test('tx index: a connect waits for the index once it trails by maxLagBlocks', async (t) => {
  const { chain } = await openTestChain(g, undefined, { txIndex: { quietMs: 3_600_000, batchBlocks: 2, maxLagBlocks: 5 } }, t);
  let worst = 0;
  for (const blk of offlineBranch(g, 20, 1n)) {
    await submitAll(chain, [blk]);
    worst = Math.max(worst, chain.txIndex.lag);
  }
  assert.ok(worst < 5, `the index trailed by ${worst} blocks`);
  assert.ok(chain.txIndex.tip.height >= 15);
});

test('tx index lookup race: a lookup whose row read misses while the indexer writes that very block still finds the tx', async (t) => {
  const { chain } = await openTestChain(g, undefined, LAZY, t);
  const pay = transfer('alice', testAddress('bob'), 700n, 0n, g.id, 10n);
  const [b1, b2] = offlineBranch(g, 2, 2n, (i) => (i === 1 ? [pay] : []));
  await submitAll(chain, [b1!, b2!]);
  const id = txId(pay);
  // The interleaving, made deterministic: the lookup's row read answers "no row" (what the disk
  // held when the read was issued), and before that answer arrives the indexer writes the block
  // and drops it from memory. The lookup must not report the tx missing.
  const store = chain.store as ChainStore & { getTxLocation: ChainStore['getTxLocation'] };
  const read = store.getTxLocation.bind(store);
  let raced = 0;
  store.getTxLocation = async (txid) => {
    const before = await read(txid);
    if (raced++ === 0) {
      assert.equal(before, undefined, 'the row is not written when the lookup reads');
      await chain.txIndex.flush();
      assert.equal(chain.txIndex.tip.height, 2, 'the indexer moved past the block meanwhile');
    }
    return before;
  };
  const got = await chain.getTx(id);
  assert.ok(raced >= 1, 'the lookup read the row while the indexer moved');
  assert.ok(got, 'found although the row read missed and the block left memory');
  assert.equal(got.height, 2);
  assert.equal(got.index, 1);
  assert.equal(got.blockId, toHex(blockId(b2!)));
});

/** Records each LevelDB batch as 'index' (only tx rows and the index tip) or 'chain'; can fail batch `failAt`. */
function recordBatches(store: ChainStore, failAt?: number): string[] {
  const db = store.db as unknown as { batch: (ops: { sublevel?: unknown }[]) => Promise<void> };
  const orig = db.batch.bind(db);
  const txs = store.sub('txs');
  const meta = store.sub('meta');
  const kinds: string[] = [];
  db.batch = async (ops: { sublevel?: unknown }[]) => {
    if (kinds.length + 1 === failAt) {
      kinds.push('failed');
      throw new Error(`injected crash before batch ${failAt}`);
    }
    kinds.push(ops.every((o) => o.sublevel === txs || o.sublevel === meta) && ops.some((o) => o.sublevel === txs) ? 'index' : 'chain');
    return orig(ops);
  };
  return kinds;
}

test('tx index catch-up raced an interrupted reorg resumed at open: no index batch runs until the resume is done, every row is right', async (t) => {
  const dir = tempDir('kadchain-txindex-', t);
  const DEPTH = 6;
  const main = offlineBranch(g, DEPTH, 1n, (i) => (i === 2 ? [transfer('alice', testAddress('bob'), 7n, 0n, g.id)] : []));
  const side = offlineBranch(g, DEPTH + 1, 2n, (i) => (i === 3 ? [transfer('alice', testAddress('carol'), 9n, 0n, g.id)] : []));
  const first = await openChainAt(dir.path, g, LAZY);
  await submitAll(first, main.slice(0, 2));
  await first.txIndex.flush();
  await submitAll(first, main.slice(2));
  await submitAll(first, side.slice(0, DEPTH), BigInt(DEPTH + 2) * workForTarget(g.params.initialTarget));
  // The reorg names its target (batch 1), disconnects main[6] (batch 2), then "crashes".
  recordBatches(first.store, 3);
  await assert.rejects(first.submitBlock(side[DEPTH]!), /injected crash/);
  await first.close();
  // Reopen with the index behind (at 2, tip 5): load schedules its catch-up, resume finishes the reorg.
  const store = await ChainStore.open({ dataDir: dir.path, genesisId: g.id });
  const kinds = recordBatches(store);
  const chain = await Chain.open(store, g, { ownsStore: true });
  track(t, chain);
  await chain.txIndex.flush();
  assert.equal(chain.tip.idHex, toHex(blockId(side[DEPTH]!)), 'the interrupted reorg was finished');
  const firstIndex = kinds.indexOf('index');
  assert.ok(firstIndex > kinds.lastIndexOf('chain'), `an index batch ran between the resume's steps: ${kinds.join(' ')}`);
  await checkInvariants(chain, g);
  assert.equal(chain.txIndex.tip.height, DEPTH + 1);
});

test('oversized tx index batch: a catch-up over big blocks writes whole blocks, and stops adding them once batchRows rows are in', async (t) => {
  const PER_BLOCK = 40;
  const BLOCKS = 8;
  const BATCH_ROWS = 100;
  let nonce = 0n;
  const blocks = offlineBranch(g, BLOCKS, 1n, () => Array.from({ length: PER_BLOCK }, () => transfer('alice', testAddress('bob'), 10n, nonce++, g.id, 1n)));
  const { chain } = await openTestChain(g, undefined, { txIndex: { ...LAZY.txIndex, batchRows: BATCH_ROWS } }, t);
  await submitAll(chain, blocks);
  // Every index batch (only `txs` rows and the index tip): its row count.
  const db = chain.store.db as unknown as { batch: (ops: { sublevel?: unknown }[]) => Promise<void> };
  const orig = db.batch.bind(db);
  const txs = chain.store.sub('txs');
  const meta = chain.store.sub('meta');
  const indexBatchRows: number[] = [];
  db.batch = async (ops: { sublevel?: unknown }[]) => {
    if (ops.every((o) => o.sublevel === txs || o.sublevel === meta)) indexBatchRows.push(ops.filter((o) => o.sublevel === txs).length);
    return orig(ops);
  };
  t.after(() => void (db.batch = orig));
  await chain.txIndex.flush();
  const rowsPerBlock = PER_BLOCK + 1; // and the coinbase
  assert.equal(indexBatchRows.reduce((a, b) => a + b, 0), BLOCKS * rowsPerBlock, 'every row written once');
  for (const rows of indexBatchRows) {
    assert.equal(rows % rowsPerBlock, 0, `a batch holds whole blocks (${rows} rows)`);
    assert.ok(rows - rowsPerBlock < BATCH_ROWS, `a batch of ${rows} rows kept adding blocks past ${BATCH_ROWS} rows`);
  }
  assert.equal(indexBatchRows.length, Math.ceil(BLOCKS / Math.ceil(BATCH_ROWS / rowsPerBlock)));
  assert.equal(chain.txIndex.tip.height, BLOCKS);
  // The rows read back: every tx of every block at its position.
  for (const b of blocks) {
    for (let i = 0; i < b.txs.length; i++) assert.deepEqual(rowOf(await chain.store.getTxLocation(txId(b.txs[i]!))), { blockId: toHex(blockId(b)), index: i });
  }
  await checkInvariants(chain, g);
});
