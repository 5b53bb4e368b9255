// Block templates: coinbase (reward + fees, height, extra nonce) plus the mempool's best
// transactions (by package fee rate, never under the relay floor) within maxBlockBytes, on the
// current tip, timestamp >= median-time-past + 1. With an IncrementalMerkle the root is updated,
// not recomputed, from the previous template's tree.
import { blockMerkleRoot, bigIntToTarget, encodeTx, txId, HEADER_BYTES, HEADER_VERSION, type Block, type CoinbaseTx, type Tx } from '../core/index.js';
import { blockReward, type Chain } from '../chain/index.js';
import type { Mempool } from '../mempool/index.js';
import type { IncrementalMerkle } from './merkle-cache.js';

export interface BlockTemplate {
  block: Block;
  fees: bigint;
  /** Tip the template builds on (hex); a new tip makes it stale. */
  parentHex: string;
}

export interface TemplateOptions {
  minerAddress: Uint8Array;
  extraNonce: bigint;
  now: number;
  extraData?: Uint8Array;
  /** The previous template's merkle tree, reused where the transaction list is unchanged. */
  merkle?: IncrementalMerkle;
}

/** Encoded size of a coinbase with up to 64 bytes of extra data, plus its length prefix. */
const COINBASE_ALLOWANCE = 2 + 1 + 1 + 4 + 20 + 8 + 8 + 2 + 64;

/** Bytes a template leaves for transfers (and their length prefixes). */
export function templateRoom(chain: Chain): number {
  return chain.params.maxBlockBytes - HEADER_BYTES - 4 - COINBASE_ALLOWANCE;
}

export async function buildTemplate(chain: Chain, mempool: Mempool | undefined, opts: TemplateOptions): Promise<BlockTemplate> {
  const next = await chain.nextBlockContext();
  const txs = mempool ? await mempool.selectForBlock(templateRoom(chain)) : [];
  // The tip may have moved while we awaited the mempool; the caller checks parentHex.
  const fees = txs.reduce((s, t) => s + t.fee, 0n);
  const coinbase: CoinbaseTx = {
    kind: 'coinbase',
    height: next.height,
    to: opts.minerAddress,
    amount: blockReward(next.height, chain.params) + fees,
    extraNonce: opts.extraNonce,
    extraData: opts.extraData ?? new Uint8Array(0),
  };
  encodeTx(coinbase); // throws early on oversize extraData
  const all: Tx[] = [coinbase, ...txs];
  const block: Block = {
    header: {
      version: HEADER_VERSION,
      height: next.height,
      prevHash: next.prevHash,
      merkleRoot: opts.merkle ? opts.merkle.root(all.map(txId)) : blockMerkleRoot(all),
      timestamp: Math.max(opts.now, next.minTimestamp),
      target: bigIntToTarget(next.target),
      nonce: 0,
    },
    txs: all,
  };
  return { block, fees, parentHex: Buffer.from(next.prevHash).toString('hex') };
}
