// The account cache in front of LevelDB (a syncing node read every touched account from disk for
// every block): reads are served from memory once known, and the cache never disagrees with the
// disk: it is updated only by a batch that committed, a read that raced a write does not fill it,
// and a failed or raw write drops it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AccountCache, ChainStore } from '../../../src/store/index.js';
import { fromHex } from '../../../src/crypto/index.js';
import { addressFromPublicKey } from '../../../src/core/index.js';
import { testGenesis, testAddress, testKey, transfer } from '../../helpers/fixtures.js';
import { tempDir, openTestChain, offlineBranch } from '../../helpers/chain-helpers.js';

const g = testGenesis();

async function openStore(t: { after(fn: () => Promise<void> | void): void }, accountCacheEntries?: number): Promise<ChainStore> {
  const dir = tempDir();
  const store = await ChainStore.open({ dataDir: dir.path, genesisId: g.id, initialize: () => {}, accountCacheEntries });
  t.after(async () => {
    await store.close();
    dir.cleanup();
  });
  return store;
}

test('one LevelDB get per account per block: accounts written by a committed batch are read back from memory', async (t) => {
  const store = await openStore(t);
  const a = testAddress('a');
  const b = testAddress('b');
  await store.batch().putAccount(a, { balance: 5n, nonce: 1n }).write();
  const misses = store.accountCache.misses;
  assert.deepEqual(await store.getAccounts([a, b]), [{ balance: 5n, nonce: 1n }, undefined]);
  assert.equal(store.accountCache.misses, misses + 1, 'only the unknown account went to disk');
  assert.deepEqual(await store.getAccounts([a, b]), [{ balance: 5n, nonce: 1n }, undefined]);
  assert.equal(store.accountCache.misses, misses + 1, 'an account known to be empty is not read again');
  // What a reader gets is its own copy.
  const got = (await store.getAccount(a))!;
  got.balance = 999n;
  assert.deepEqual(await store.getAccount(a), { balance: 5n, nonce: 1n });
  // The disk agrees (read around the cache).
  assert.deepEqual(await store.getAccounts([a, b], { fromDisk: true }), [{ balance: 5n, nonce: 1n }, undefined]);
  // An account emptied by a batch is deleted on disk and known empty in memory.
  await store.batch().putAccount(a, { balance: 0n, nonce: 0n }).write();
  assert.deepEqual(await store.getAccounts([a]), [undefined]);
  assert.deepEqual(await store.getAccounts([a], { fromDisk: true }), [undefined]);
});

test('stale account cache: a read that started before a write committed does not fill the cache with the old value', async (t) => {
  const store = await openStore(t);
  const a = testAddress('a');
  await store.batch().putAccount(a, { balance: 1n, nonce: 0n }).write();
  store.accountCache.clear();
  // The read starts (old value on disk), then a block's batch commits before the read is filled.
  const reading = store.getAccounts([a]);
  await store.batch().putAccount(a, { balance: 2n, nonce: 1n }).write();
  await reading;
  assert.deepEqual(await store.getAccount(a), { balance: 2n, nonce: 1n });
  // And through the cache alone: whatever it holds is the committed value.
  const epoch = store.accountCache.readEpoch;
  store.accountCache.fill('00'.repeat(20), { balance: 7n, nonce: 7n }, epoch - 1);
  assert.equal(store.accountCache.get('00'.repeat(20)), undefined, 'a fill from before the last commit is dropped');
});

test('stale account cache: a failed batch and a raw account write leave no cached value that the disk does not hold', async (t) => {
  const store = await openStore(t);
  const a = testAddress('a');
  await store.batch().putAccount(a, { balance: 3n, nonce: 0n }).write();
  assert.equal(store.accountCache.size, 1);
  // A raw write to the accounts table (not through putAccount): the cache cannot know the value.
  await store.batch().put('accounts', a, fromHex('0000000000000009' + '0000000000000000')).write();
  assert.equal(store.accountCache.size, 0);
  assert.deepEqual(await store.getAccount(a), { balance: 9n, nonce: 0n });
  // A batch that fails (LevelDB refuses one of its operations) drops what was cached.
  assert.equal(store.accountCache.size, 1);
  const batch = store.batch().putAccount(a, { balance: 4n, nonce: 1n }).put('meta', null as unknown as Uint8Array, new Uint8Array(1));
  await assert.rejects(batch.write());
  assert.equal(store.accountCache.size, 0);
  assert.deepEqual(await store.getAccount(a), { balance: 9n, nonce: 0n });
});

test('account cache: bounded, the oldest entries go first; 0 entries keeps nothing', () => {
  const c = new AccountCache(3);
  c.committed(new Map([['a', { balance: 1n, nonce: 0n }], ['b', { balance: 2n, nonce: 0n }], ['c', undefined], ['d', { balance: 4n, nonce: 0n }]]));
  assert.equal(c.size, 3);
  assert.equal(c.get('a'), undefined);
  assert.equal(c.get('c'), null);
  assert.deepEqual(c.get('d'), { balance: 4n, nonce: 0n });
  const none = new AccountCache(0);
  none.committed(new Map([['a', { balance: 1n, nonce: 0n }]]));
  assert.equal(none.size, 0);
  assert.throws(() => new AccountCache(-1), RangeError);
});

test('a connect hands the cache its hex keys: after blocks of many senders and recipients every cached account equals the disk', async (t) => {
  // Senders and recipients overlap across blocks, so cached values are read, changed and written again.
  const names = ['s0', 's1', 's2', 's3', 's4', 's5'];
  const gg = testGenesis({ alloc: names.map((n) => ({ address: addressFromPublicKey(testKey(n).publicKey), amount: 1_000_000n })) });
  const { chain } = await openTestChain(gg, undefined, {}, t);
  const nonces = new Map<string, bigint>();
  const blocks = offlineBranch(gg, 4, 1n, (i) => names.map((n, j) => {
    const nonce = nonces.get(n) ?? 0n;
    nonces.set(n, nonce + 1n);
    // Recipients: other senders (their records change twice in a block) and fresh addresses.
    return transfer(n, j % 2 ? addressFromPublicKey(testKey(names[(j + i + 1) % names.length]!).publicKey) : testAddress(`r${i}-${j}`), 100n + BigInt(j), nonce, gg.id, 1n);
  }));
  for (const b of blocks) assert.equal((await chain.submitBlock(b)).status, 'connected');
  const addresses = [...names.map((n) => addressFromPublicKey(testKey(n).publicKey)), ...blocks.flatMap((_, i) => names.flatMap((_, j) => (j % 2 ? [] : [testAddress(`r${i}-${j}`)])))];
  const cached = await chain.store.getAccounts(addresses);
  const onDisk = await chain.store.getAccounts(addresses, { fromDisk: true });
  assert.deepEqual(cached, onDisk);
  assert.ok(onDisk.every((a) => a !== undefined && a.balance > 0n), 'every touched account holds a balance');
  assert.ok(chain.store.accountCache.hits > 0, 'the cache served reads');
});
