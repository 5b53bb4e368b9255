// Checked block reads with the body checksum kept in the index record: a stored block is served after
// a header hash and a CRC of its bytes (no decode, no merkle root), and damage is still found; a data
// dir from before the checksum still has every body read checked in full.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChainStore, SCHEMA_VERSION, StoreError } from '../../../src/store/index.js';
import { HEADER_BYTES } from '../../../src/core/index.js';
import { tempDir, openChainAt, extend } from '../../helpers/chain-helpers.js';
import { testGenesis } from '../../helpers/fixtures.js';

const g = testGenesis();
const isDamaged = (e: unknown): boolean => e instanceof StoreError && e.reason === 'store-damaged';

async function storeWithBlocks(t: Parameters<typeof tempDir>[1], n = 6): Promise<string> {
  const dir = tempDir('kadchain-checked-', t);
  const chain = await openChainAt(dir.path, g);
  try {
    await extend(chain, n, 0n);
  } finally {
    await chain.close();
  }
  return dir.path;
}

async function withStore(dir: string, t: Parameters<typeof tempDir>[1]): Promise<ChainStore> {
  const s = await ChainStore.open({ dataDir: dir, genesisId: g.id });
  t!.after(() => s.close());
  return s;
}

test('block bytes are stored with their checksum, and a read checks them by header id and checksum', async (t) => {
  const s = await withStore(await storeWithBlocks(t), t);
  const id = (await s.getMainId(3))!;
  const rec = (await s.getIndex(id))!;
  const bytes = (await s.getRawBlockBytes(id))!;
  assert.equal(typeof rec.bodyCrc, 'number', 'the index record carries the checksum');
  assert.equal(rec.size, bytes.length);
  assert.deepEqual(Uint8Array.from((await s.getBlockBytes(id))!), Uint8Array.from(bytes), 'intact bytes are served as stored');
});

test('damaged body under a checksum: a flipped body byte, a cut-short block and a flipped header byte are each store-damaged', async (t) => {
  const s = await withStore(await storeWithBlocks(t), t);
  const id = (await s.getMainId(4))!;
  // Copies, not views: LevelDB hands back Buffers, whose slice() shares memory.
  const good = Uint8Array.from((await s.getRawBlockBytes(id))!);
  const flippedBody = Uint8Array.from(good);
  flippedBody[HEADER_BYTES + 10] = flippedBody[HEADER_BYTES + 10]! ^ 0x01;
  const flippedHeader = Uint8Array.from(good);
  flippedHeader[40] = flippedHeader[40]! ^ 0x01;
  for (const bad of [flippedBody, good.slice(0, good.length - 1), good.slice(0, 50), flippedHeader]) {
    await s.batch().put('blocks', id, bad).write();
    await assert.rejects(s.getBlockBytes(id), isDamaged);
  }
  await s.batch().put('blocks', id, good).write();
  assert.deepEqual(Uint8Array.from((await s.getBlockBytes(id))!), good);
});

test('a data dir from before the body checksum: index records without it still read, and body damage is found by the full check', async (t) => {
  const s = await withStore(await storeWithBlocks(t), t);
  const id = (await s.getMainId(2))!;
  const rec = (await s.getIndex(id))!;
  await s.batch().putIndex(id, { ...rec, bodyCrc: undefined }).write();
  const old = (await s.getIndex(id))!;
  assert.equal(old.bodyCrc, undefined, 'the old record format decodes');
  assert.equal(old.height, rec.height);
  assert.equal(old.work, rec.work);
  const good = Uint8Array.from((await s.getRawBlockBytes(id))!);
  assert.deepEqual(Uint8Array.from((await s.getBlockBytes(id))!), good);
  const bad = Uint8Array.from(good);
  bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
  await s.batch().put('blocks', id, bad).write();
  await assert.rejects(s.getBlockBytes(id), isDamaged);
});

test('damaged genesis record reported as another chain: a genesis record its own height 0 contradicts is store-damaged, not wrong-genesis', async (t) => {
  const dir = await storeWithBlocks(t, 2);
  const s = await ChainStore.open({ dataDir: dir, genesisId: g.id });
  const damaged = Uint8Array.from(g.id);
  damaged[5] = damaged[5]! ^ 0x40;
  await s.batch().put('meta', new TextEncoder().encode('genesis'), damaged).write();
  await s.close();
  await assert.rejects(ChainStore.open({ dataDir: dir, genesisId: g.id }), (e: unknown) => {
    assert.ok(e instanceof StoreError);
    assert.equal(e.reason, 'store-damaged');
    assert.match(e.message, /genesis record .* contradicts its height 0/);
    return true;
  });
});

test('a schema-1 data dir opens as it is and is marked schema 2 (its new index records carry checksums an older build cannot read)', async (t) => {
  const dir = await storeWithBlocks(t, 2);
  const schemaKey = new TextEncoder().encode('schema');
  const one = new Uint8Array(4);
  new DataView(one.buffer).setUint32(0, 1);
  const s = await ChainStore.open({ dataDir: dir, genesisId: g.id });
  await s.batch().put('meta', schemaKey, one).write();
  await s.close();
  const reopened = await withStore(dir, t);
  const v = (await reopened.getMeta(schemaKey))!;
  assert.equal(new DataView(v.buffer, v.byteOffset, v.byteLength).getUint32(0), SCHEMA_VERSION);
  assert.equal(SCHEMA_VERSION, 2);
});
