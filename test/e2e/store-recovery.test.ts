// Recovery from a damaged store, end to end: `kadchain node --check` names the damage and the way
// out, `--reindex` rebuilds and starts, and a node that finds damage at start heals by rolling back
// and re-syncing the rest from a peer, ending with every height readable and the peer's balances.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ChainStore } from '../../src/store/index.js';
import { toHex } from '../../src/crypto/index.js';
import type { RunningNode } from '../../src/node/index.js';
import { encodeAddress, type Genesis } from '../../src/core/index.js';
import { testAddress } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/cleanup.js';
import { kadchain, spawnNode, freePort } from '../helpers/cli-helpers.js';
import { testNet, writeGenesis, waitUntil } from '../helpers/node-helpers.js';
import { openChainAt, extend, checkInvariants } from '../helpers/chain-helpers.js';

async function deleteBlockAt(chainDir: string, genesisId: Uint8Array, height: number): Promise<void> {
  const s = await ChainStore.open({ dataDir: chainDir, genesisId });
  try {
    await s.batch().del('blocks', (await s.getMainId(height))!).write();
  } finally {
    await s.close();
  }
}

/** Starts `kadchain node --reindex` on a data dir and waits until its API answers (or it exits). */
async function startReindexed(dataDir: string, genesisFile: string, t: TestContext): Promise<{ node: ReturnType<typeof spawnNode>; apiPort: number }> {
  const [port, apiPort] = [await freePort(), await freePort()];
  const node = spawnNode(['--reindex', '--data-dir', dataDir, '--genesis', genesisFile, '--port', String(port), '--api-port', String(apiPort), '--no-mine', '--log-level', 'warn'], {}, t);
  await waitUntil('reindexed and serving', async () => {
    try {
      return (await fetch(`http://127.0.0.1:${apiPort}/api/status`)).ok;
    } catch {
      return node.exitCode !== null; // exited: the caller's assertions say why
    }
  }, 60_000, 100);
  return { node, apiPort };
}

async function accounts(node: RunningNode): Promise<string[]> {
  const out: string[] = [];
  for await (const [k, a] of node.chain.store.accounts()) out.push(`${toHex(k)}=${a.balance}/${a.nonce}`);
  return out;
}

/** A data dir holding a chain of `blocks` blocks on a fresh genesis (written to a file), closed. */
async function storedChain(prefix: string, blocks: number, t: TestContext): Promise<{ genesis: Genesis; file: string; dataDir: string; tip: string }> {
  const dir = tempDir(prefix, t);
  const { genesis, file } = writeGenesis(dir.path);
  const dataDir = join(dir.path, 'data');
  const chain = await openChainAt(join(dataDir, 'chain'), genesis);
  await extend(chain, blocks);
  const tip = chain.tip.idHex;
  await chain.close();
  return { genesis, file, dataDir, tip };
}

test('kadchain node --check names the first damaged height and the recovery; --reindex rebuilds and starts', async (t) => {
  const { genesis, file, dataDir } = await storedChain('kadchain-check-', 40, t);

  const ok = await kadchain(['node', '--check', '--data-dir', dataDir, '--genesis', file]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^ok: .* is whole: 41 main-chain blocks checked, tip height 40$/m);

  await deleteBlockAt(join(dataDir, 'chain'), genesis.id, 25);
  const bad = await kadchain(['node', '--check', '--data-dir', dataDir, '--genesis', file]);
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.match(bad.stdout, /^damaged: block bytes missing .* at height 25 \(first damaged height 25\)/m);
  assert.match(bad.stdout, /^recovery: kadchain node --reindex --data-dir /m);

  const { node, apiPort } = await startReindexed(dataDir, file, t);
  assert.match(node.output(), /reindexed .*: tip height 24 [0-9a-f]{64}; 16 damaged or later blocks forgotten/);
  const status = (await (await fetch(`http://127.0.0.1:${apiPort}/api/status`)).json()) as { height: number; health: { ok: boolean } };
  assert.equal(status.height, 24);
  assert.deepEqual(status.health, { ok: true, problems: [] });
  await node.stop();
  const again = await kadchain(['node', '--check', '--data-dir', dataDir, '--genesis', file]);
  assert.equal(again.code, 0, again.stdout);
});

test('--reindex repairs a damaged genesis record', async (t) => {
  const { genesis, file, dataDir, tip } = await storedChain('kadchain-genesis-record-', 12, t);
  // One bit of the genesis record flipped: the dir's height 0 still names the genesis in use.
  const s = await ChainStore.open({ dataDir: join(dataDir, 'chain'), genesisId: genesis.id });
  const damaged = Uint8Array.from(genesis.id);
  damaged[7] = damaged[7]! ^ 0x10;
  await s.batch().put('meta', new TextEncoder().encode('genesis'), damaged).write();
  await s.close();

  const bad = await kadchain(['node', '--check', '--data-dir', dataDir, '--genesis', file]);
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.match(bad.stdout, /genesis record .* contradicts its height 0 .*--reindex/);

  const { node, apiPort } = await startReindexed(dataDir, file, t);
  assert.match(node.output(), /reindexed .*: tip height 12 [0-9a-f]{64}; damaged genesis record rewritten/);
  const status = (await (await fetch(`http://127.0.0.1:${apiPort}/api/status`)).json()) as { height: number; tip: string };
  assert.equal(status.height, 12);
  await node.stop();
  const again = await kadchain(['node', '--check', '--data-dir', dataDir, '--genesis', file]);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  const reopened = await ChainStore.open({ dataDir: join(dataDir, 'chain'), genesisId: genesis.id });
  try {
    assert.equal(toHex((await reopened.getMeta(new TextEncoder().encode('genesis')))!), genesis.idHex);
    assert.equal(toHex(await reopened.getTipId()), tip);
  } finally {
    await reopened.close();
  }
});

test('a node that finds damage at start heals: rolls back, re-syncs from a peer, every height readable, balances match', async (t) => {
  const net = testNet({}, t);
  const a = await net.start({ mine: true, minerAddress: encodeAddress(testAddress('heal miner')) });
  await waitUntil('peer has 30 blocks', () => a.chain.tip.height >= 30, 120_000);
  await a.miner!.stop();
  const bDir = tempDir('kadchain-heal-', t);
  let b = await net.start({ bootstrap: [a], dir: bDir });
  await waitUntil('b synced', () => b.chain.tip.idHex === a.chain.tip.idHex, 60_000);
  await b.stop();
  net.nodes.splice(net.nodes.indexOf(b), 1);

  await deleteBlockAt(join(bDir.path, 'chain'), net.genesis.id, 12);
  b = await net.start({ bootstrap: [a], dir: bDir });
  assert.ok(b.chain.tip.height < 12, `rolled back below the damage (tip ${b.chain.tip.height})`);
  await waitUntil('b re-synced', () => b.chain.tip.idHex === a.chain.tip.idHex, 60_000);
  await checkInvariants(b.chain, net.genesis);
  for (let h = 0; h <= b.chain.tip.height; h++) assert.ok(await b.chain.getBlock(h), `height ${h} readable`);
  assert.deepEqual(await accounts(b), await accounts(a), 'balances match the peer');
});

test('damage found on read is served as 503 store-damaged, never a wrong block, and shows in status.health', async (t) => {
  const net = testNet({}, t);
  const a = await net.start({ mine: true, minerAddress: encodeAddress(testAddress('read miner')) });
  await waitUntil('a few blocks', () => a.chain.tip.height >= 5, 120_000);
  await a.miner!.stop();
  const id = (await a.chain.store.getMainId(3))!;
  const bytes = (await a.chain.store.getRawBlockBytes(id))!.slice();
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff; // the body no longer matches the header
  await a.chain.store.batch().put('blocks', id, bytes).write();

  const res = await fetch(`${a.apiUrl}/api/blocks/3`);
  assert.equal(res.status, 503);
  assert.equal(((await res.json()) as { reason: string }).reason, 'store-damaged');
  const s = (await (await fetch(`${a.apiUrl}/api/status`)).json()) as { health: { ok: boolean; problems: { reason: string; message: string }[] } };
  assert.equal(s.health.ok, false);
  assert.equal(s.health.problems[0]?.reason, 'store-damaged');
  assert.match(s.health.problems[0]!.message, /--reindex/);
  assert.equal((await fetch(`${a.apiUrl}/api/blocks/4`)).status, 200, 'intact blocks are still served');
});
