// Test fixtures: tiny-work genesis params, deterministic keys, block building and a plain miner.
import {
  buildGenesis, blockMerkleRoot, bigIntToTarget, headerId, signTransfer, addressFromPublicKey, HEADER_VERSION,
  type Block, type ChainParams, type Genesis, type Tx, type TransferTx, type BlockHeader,
} from '../../src/core/index.js';
import { keyPairFromSecret, sha256, bytesToBigInt, type KeyPair } from '../../src/crypto/index.js';
import { blockReward } from '../../src/chain/index.js';

/** Deterministic key from a label: tests never depend on real randomness. */
const keyCache = new Map<string, KeyPair>();
export function testKey(label: string): KeyPair {
  let k = keyCache.get(label);
  if (!k) keyCache.set(label, (k = keyPairFromSecret(sha256(new TextEncoder().encode('kadchain-test-key:' + label)))));
  return k;
}

export function testAddress(label: string): Uint8Array {
  return addressFromPublicKey(testKey(label).publicKey);
}

export const EASY_TARGET = (1n << 252n) - 1n; // 1 in 16 hashes

export function testParams(over: Partial<ChainParams> = {}): ChainParams {
  return {
    network: 'kadchain-test',
    timestamp: 1_700_000_000_000,
    initialTarget: EASY_TARGET,
    powLimit: (1n << 255n) - 1n,
    targetBlockTimeMs: 1000,
    retargetInterval: 1_000_000, // no retarget unless a test asks
    maxAdjustment: 4,
    blockReward: 50n * 100_000_000n,
    halvingInterval: 1000,
    maxBlockBytes: 1 << 20,
    maxFutureDriftMs: 60_000,
    alloc: [{ address: testAddress('alice'), amount: 1000n * 100_000_000n }],
    extraData: 'test',
    ...over,
  };
}

export function testGenesis(over: Partial<ChainParams> = {}): Genesis {
  return buildGenesis(testParams(over));
}

/** Plain miner for tests: increments the nonce until id <= target. */
export function mineHeader(h: BlockHeader): BlockHeader {
  const target = bytesToBigInt(h.target);
  for (let nonce = 0; nonce < 0xffffffff; nonce++) {
    const c = { ...h, nonce };
    if (bytesToBigInt(headerId(c)) <= target) return c;
  }
  throw new Error('nonce space exhausted');
}

export interface BuildOpts {
  parent: { id: Uint8Array; height: number; timestamp: number };
  target: bigint;
  txs?: TransferTx[];
  miner?: Uint8Array;
  timestamp?: number;
  extraNonce?: bigint;
  params: ChainParams;
  mine?: boolean;
}

export function buildBlock(o: BuildOpts): Block {
  const height = o.parent.height + 1;
  const fees = (o.txs ?? []).reduce((s, t) => s + t.fee, 0n);
  const coinbase: Tx = { kind: 'coinbase', height, to: o.miner ?? testAddress('miner'), amount: blockReward(height, o.params) + fees, extraNonce: o.extraNonce ?? 0n, extraData: new Uint8Array(0) };
  const txs: Tx[] = [coinbase, ...(o.txs ?? [])];
  const header: BlockHeader = {
    version: HEADER_VERSION,
    height,
    prevHash: o.parent.id,
    merkleRoot: blockMerkleRoot(txs),
    timestamp: o.timestamp ?? o.parent.timestamp + 1000,
    target: bigIntToTarget(o.target),
    nonce: 0,
  };
  return { header: o.mine === false ? header : mineHeader(header), txs };
}

export function transfer(from: string, to: Uint8Array, amount: bigint, nonce: bigint, chainId: Uint8Array, fee = 1000n): TransferTx {
  const k = testKey(from);
  return signTransfer({ chainId, from: k.publicKey, to, amount, fee, nonce }, k.secretKey);
}

/** Seeded PRNG (mulberry32) for deterministic random tests. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
