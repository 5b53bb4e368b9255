// Sync and gossip figures from real nodes on 127.0.0.1: a fresh node syncing blocks of 200 signed
// txs (against the raw Ed25519 verify rate measured in the same run), and block bodies received
// per node per block in a 12-node network found through Kademlia.
import { addressFromPublicKey, blockId, type Block, type TransferTx } from '../src/core/index.js';
import { generateKeyPair, signMessage, verifySignature } from '../src/crypto/index.js';
import { testKey, transfer, testAddress, buildBlock } from '../test/helpers/fixtures.js';
import { tempDir, childOf, tipEntry, openChainAt } from '../test/helpers/chain-helpers.js';
import { testNet, waitUntil, startMesh } from '../test/helpers/node-helpers.js';

function rawVerifyRate(): number {
  const k = generateKeyPair();
  const msg = new Uint8Array(110).fill(7);
  const sig = signMessage(msg, k.secretKey);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 2000) {
    for (let i = 0; i < 100; i++) verifySignature(msg, sig, k.publicKey);
    n += 100;
  }
  return n / ((performance.now() - t0) / 1000);
}

async function syncFigures(): Promise<Record<string, number>> {
  const BLOCKS = 60;
  const TXS = 200;
  const net = testNet({ alloc: [{ address: addressFromPublicKey(testKey('alice').publicKey), amount: 10n ** 15n }] });
  try {
    const dirA = tempDir('kadchain-bench-');
    net.dirs.push(dirA);
    const pre = await openChainAt(`${dirA.path}/chain`, net.genesis);
    let parent = { id: net.genesis.id, height: 0, timestamp: net.genesis.params.timestamp };
    let nonce = 0n;
    for (let b = 0; b < BLOCKS; b++) {
      const txs: TransferTx[] = [];
      for (let i = 0; i < TXS; i++) txs.push(transfer('alice', testAddress('r' + (i % 50)), 1000n, nonce++, net.genesis.id, 1n));
      const block: Block = buildBlock({ parent, target: net.genesis.params.initialTarget, params: net.genesis.params, txs });
      const r = await pre.submitBlock(block);
      if (r.status !== 'connected') throw new Error(`bench block refused: ${r.reason}`);
      parent = { id: blockId(block), height: block.header.height, timestamp: block.header.timestamp };
    }
    const tip = pre.tip.idHex;
    await pre.close();
    await net.start({ dir: dirA });
    // The machine's speed drifts (shared cores): the reference is measured on both sides of the sync.
    const rawBefore = rawVerifyRate();
    const t0 = performance.now();
    const b = await net.start({ bootstrap: [net.nodes[0]!] });
    await waitUntil('bench sync', () => b.chain.tip.idHex === tip, 300_000, 10);
    const secs = (performance.now() - t0) / 1000;
    const raw = (rawBefore + rawVerifyRate()) / 2;
    return {
      'sync.blocks': BLOCKS,
      'sync.txsPerBlock': TXS,
      'sync.blocksPerSec': Math.round((BLOCKS / secs) * 10) / 10,
      'sync.txsPerSec': Math.round((BLOCKS * TXS) / secs),
      'sync.rawVerifyPerSec': Math.round(raw),
      'sync.verifyRatio': Math.round(((BLOCKS * TXS) / secs / raw) * 100) / 100,
    };
  } finally {
    await net.stopAll();
  }
}

async function gossipFigures(): Promise<Record<string, number>> {
  const net = testNet();
  try {
    const nodes = await startMesh(net, 12, 120_000);
    const before = nodes.map((n) => n.gossip.stats.bodiesReceived);
    const BLOCKS = 10;
    for (let i = 0; i < BLOCKS; i++) {
      const at = nodes[(i * 5) % nodes.length]!;
      const block = await childOf(at.chain, await tipEntry(at.chain), [], BigInt(i));
      await at.chain.submitBlock(block);
      const id = at.chain.tip.idHex;
      await waitUntil('propagation', () => nodes.every((n) => n.chain.tip.idHex === id), 60_000, 10);
    }
    const bodies = nodes.reduce((s, n, i) => s + n.gossip.stats.bodiesReceived - before[i]!, 0);
    return {
      'gossip.nodes': nodes.length,
      'gossip.blocks': BLOCKS,
      'gossip.bodiesPerNodePerBlock': Math.round((bodies / BLOCKS / (nodes.length - 1)) * 1000) / 1000,
      'gossip.meanPeers': Math.round((nodes.reduce((s, n) => s + n.net.peers().length, 0) / nodes.length) * 10) / 10,
    };
  } finally {
    await net.stopAll();
  }
}

export async function benchSync(): Promise<Record<string, number>> {
  return { ...(await syncFigures()), ...(await gossipFigures()) };
}
