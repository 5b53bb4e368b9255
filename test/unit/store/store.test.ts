// The data dir: lock, genesis and schema checks, reopen without replay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Chain } from '../../../src/chain/index.js';
import { ChainStore, StoreError, heightKey } from '../../../src/store/index.js';
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
