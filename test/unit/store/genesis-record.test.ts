// The genesis record at open: a damaged one is store-damaged; opened for the rebuild ('repair'), it
// is let through only when the dir's own height 0 names the genesis in use, and every other
// refusal (another chain's dir, both records disagreeing with the genesis in use) stands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChainStore, StoreError } from '../../../src/store/index.js';
import { rebuildChainState } from '../../../src/chain/index.js';
import { silentLogger } from '../../../src/log/index.js';
import { tempDir, openChainAt, extend } from '../../helpers/chain-helpers.js';
import { testGenesis } from '../../helpers/fixtures.js';

const g = testGenesis();
const GENESIS_KEY = new TextEncoder().encode('genesis');
const flipped = (id: Uint8Array, at: number): Uint8Array => {
  const b = Uint8Array.from(id);
  b[at] = b[at]! ^ 0x01;
  return b;
};

async function dirWith(t: Parameters<typeof tempDir>[1], edit: (s: ChainStore) => Promise<void>): Promise<string> {
  const dir = tempDir('kadchain-genesis-record-', t);
  const chain = await openChainAt(dir.path, g);
  await extend(chain, 3, 0n);
  await chain.close();
  const s = await ChainStore.open({ dataDir: dir.path, genesisId: g.id });
  try {
    await edit(s);
  } finally {
    await s.close();
  }
  return dir.path;
}

const refusedAs = (reason: string, message: RegExp) => (e: unknown): boolean => {
  assert.ok(e instanceof StoreError, String(e));
  assert.equal(e.reason, reason);
  assert.match(e.message, message);
  return true;
};

test('a damaged genesis record names --reindex as the way out when height 0 is the genesis in use', async (t) => {
  const dir = await dirWith(t, (s) => s.batch().put('meta', GENESIS_KEY, flipped(g.id, 3)).write());
  await assert.rejects(ChainStore.open({ dataDir: dir, genesisId: g.id }), refusedAs('store-damaged', /contradicts its height 0 .*--reindex/));
});

test('opened for the rebuild, a damaged genesis record is let through and the rebuild rewrites it', async (t) => {
  const dir = await dirWith(t, (s) => s.batch().put('meta', GENESIS_KEY, flipped(g.id, 3)).write());
  const s = await ChainStore.open({ dataDir: dir, genesisId: g.id, genesisRecord: 'repair' });
  let report;
  try {
    assert.equal(s.genesisRecordDamaged, true);
    report = await rebuildChainState(s, g, silentLogger);
  } finally {
    await s.close();
  }
  assert.equal(report.genesisRecordRewritten, true);
  assert.equal(report.height, 3);
  const again = await ChainStore.open({ dataDir: dir, genesisId: g.id });
  t.after(() => again.close());
  assert.deepEqual(Uint8Array.from((await again.getMeta(GENESIS_KEY))!), Uint8Array.from(g.id));
  assert.equal(again.genesisRecordDamaged, false);
});

test('a missing genesis record is repaired the same way', async (t) => {
  const dir = await dirWith(t, (s) => s.batch().del('meta', GENESIS_KEY).write());
  await assert.rejects(ChainStore.open({ dataDir: dir, genesisId: g.id }), refusedAs('store-damaged', /\(missing\) contradicts its height 0/));
  const s = await ChainStore.open({ dataDir: dir, genesisId: g.id, genesisRecord: 'repair' });
  t.after(() => s.close());
  assert.equal((await rebuildChainState(s, g, silentLogger)).genesisRecordRewritten, true);
});

test('repair keeps the other refusals: another chain\'s dir is wrong-genesis, and a record and height 0 that both disagree with the genesis in use stay store-damaged', async (t) => {
  const other = flipped(g.id, 9);
  // Another chain: its genesis record and its height 0 agree with each other, not with ours.
  const otherChain = await dirWith(t, async (s) => {
    await s.batch().put('meta', GENESIS_KEY, other).putMain(0, other).write();
  });
  await assert.rejects(ChainStore.open({ dataDir: otherChain, genesisId: g.id, genesisRecord: 'repair' }), refusedAs('wrong-genesis', /belongs to another chain/));
  // Both damaged: nothing says the dir is ours, so nothing is rewritten.
  const both = await dirWith(t, async (s) => {
    await s.batch().put('meta', GENESIS_KEY, flipped(g.id, 3)).putMain(0, other).write();
  });
  await assert.rejects(ChainStore.open({ dataDir: both, genesisId: g.id, genesisRecord: 'repair' }), refusedAs('store-damaged', /neither names the genesis in use/));
});
