// The data dir: lock, genesis and schema checks, reopen without replay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Chain } from '../../../src/chain/index.js';
import { ChainStore, StoreError, heightKey } from '../../../src/store/index.js';
import { decodeAccount, decodeTxLocation, encodeAccount, encodeTxLocation } from '../../../src/store/records.js';
import { testGenesis } from '../../helpers/fixtures.js';
import { tempDir, extend, openChainAt } from '../../helpers/chain-helpers.js';

const g = testGenesis();
const isReason = (r: string) => (e: unknown) => e instanceof StoreError && e.reason === r;

test('data-dir-in-use: a second process on the same data dir gets a clear message', async () => {
  const dir = tempDir();
  const child = spawn(process.execPath, [fileURLToPath(new URL('../../helpers/store-child.js', import.meta.url)), dir.path], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const [line] = (await Promise.race([once(child.stdout!, 'data'), new Promise((_, rej) => setTimeout(() => rej(new Error('child did not open')), 20_000))])) as [Buffer];
    assert.match(line.toString(), /^open 0/);
    await assert.rejects(openChainAt(dir.path, g), (e: unknown) => {
      assert.ok(isReason('data-dir-in-use')(e));
      assert.match((e as Error).message, /data dir in use/);
      return true;
    });
  } finally {
    child.stdin!.end();
    await once(child, 'exit');
    dir.cleanup();
  }
});

test('wrong-genesis: a data dir of another chain is refused with a message', async () => {
  const dir = tempDir();
  try {
    const c = await openChainAt(dir.path, g);
    await c.close();
    await assert.rejects(openChainAt(dir.path, testGenesis({ network: 'other' })), (e: unknown) => isReason('wrong-genesis')(e) && /another chain/.test((e as Error).message));
  } finally {
    dir.cleanup();
  }
});

test('newer-schema: a data dir written by a newer schema is refused', async () => {
  const dir = tempDir();
  try {
    const c = await openChainAt(dir.path, g);
    await c.store.batch().put('meta', new TextEncoder().encode('schema'), heightKey(99)).write();
    await c.close();
    await assert.rejects(ChainStore.open({ dataDir: dir.path, genesisId: g.id, initialize: () => {} }), isReason('newer-schema'));
  } finally {
    dir.cleanup();
  }
});

test('reopen reads the tip without replaying the chain', async () => {
  const dir = tempDir();
  try {
    const c = await openChainAt(dir.path, g);
    await extend(c, 25);
    const tip = c.tip.idHex;
    await c.close();
    const again = await openChainAt(dir.path, g);
    assert.equal(again.tip.idHex, tip);
    assert.equal(again.tip.height, 25);
    await again.close();
    await again.close(); // idempotent
  } finally {
    dir.cleanup();
  }
});

test('tx location and account records: the byte-by-byte encoders write what the decoders read, and refuse what does not fit', () => {
  const id = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
  for (const index of [0, 1, 255, 256, 65_535, 65_536, 0x01020304, 0xffffffff]) {
    const b = encodeTxLocation({ blockId: id, index });
    assert.equal(b.length, 36);
    assert.deepEqual(decodeTxLocation(b), { blockId: id, index });
    assert.equal(new DataView(b.buffer, b.byteOffset).getUint32(32), index, 'big-endian, as ByteWriter wrote it');
  }
  for (const index of [-1, 0x100000000, 1.5, Number.NaN]) assert.throws(() => encodeTxLocation({ blockId: id, index }), RangeError, String(index));
  assert.throws(() => encodeTxLocation({ blockId: id.subarray(1), index: 0 }), RangeError);
  const max = (1n << 64n) - 1n;
  for (const a of [{ balance: 0n, nonce: 1n }, { balance: max, nonce: max }, { balance: 0x0102030405060708n, nonce: 9n }]) {
    const b = encodeAccount(a);
    assert.equal(b.length, 16);
    assert.deepEqual(decodeAccount(b), a);
  }
  // Each record owns its bytes (the shared scratch view is copied out).
  const first = encodeAccount({ balance: 1n, nonce: 2n });
  encodeAccount({ balance: 3n, nonce: 4n });
  assert.deepEqual(decodeAccount(first), { balance: 1n, nonce: 2n });
  for (const bad of [{ balance: -1n, nonce: 0n }, { balance: 0n, nonce: max + 1n }]) assert.throws(() => encodeAccount(bad), (e: unknown) => (e as { reason?: string }).reason === 'out-of-range');
});

test('putTxRows: a block\'s rows, one per tx at its position, read back after the store is reopened; ids not packed whole are refused', async () => {
  const dir = tempDir('kadchain-rows-');
  try {
    const genesisId = new Uint8Array(32);
    const blockId = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
    // Distinct ids: the first two bytes are the position.
    const ids = Uint8Array.from({ length: 300 * 32 }, (_, i) => (i % 32 === 0 ? i >> 13 : i % 32 === 1 ? (i >> 5) & 0xff : (i * 7) & 0xff));
    const store = await ChainStore.open({ dataDir: dir.path, genesisId, initialize: () => {} });
    const batch = store.batch().putTxRows(blockId, ids);
    assert.equal(batch.ops.length, 300, 'one row per tx');
    assert.ok(batch.ops.every((o) => o.sublevel === store.sub('txs')), 'every row in the txs sublevel');
    assert.throws(() => store.batch().putTxRows(blockId, ids.subarray(0, 33)), RangeError);
    await batch.write();
    await store.close();
    const reopened = await ChainStore.open({ dataDir: dir.path, genesisId });
    try {
      for (const i of [0, 1, 150, 299]) {
        const row = await reopened.getTxLocation(ids.slice(i * 32, i * 32 + 32));
        assert.deepEqual(row && { blockId: [...row.blockId], index: row.index }, { blockId: [...blockId], index: i });
      }
    } finally {
      await reopened.close();
    }
  } finally {
    dir.cleanup();
  }
});
