// Turns chain and mempool objects into the API's JSON shapes (types.ts). Pure functions, so the
// HTTP routes and the event stream describe a block or a transaction identically.
import {
  encodeAddress, encodeBlock, txIdHex, txSender, txSize, txToJson, blockIdHex, targetToBigInt, type Block, type BlockHeader, type Tx,
} from '../core/index.js';
import { toHex } from '../crypto/index.js';
import type { MempoolEntry } from '../mempool/index.js';
import type { BlockSummaryJson, HeaderJson, MempoolEntryJson, TxViewJson } from './types.js';

export function headerJson(h: BlockHeader): HeaderJson {
  return {
    version: h.version,
    height: h.height,
    prevHash: toHex(h.prevHash),
    merkleRoot: toHex(h.merkleRoot),
    timestamp: h.timestamp,
    target: toHex(h.target),
    nonce: h.nonce,
  };
}

export function txView(tx: Tx, id = txIdHex(tx)): TxViewJson {
  const base = txToJson(tx);
  return tx.kind === 'transfer' ? { ...base, id, size: txSize(tx), sender: encodeAddress(txSender(tx)) } : { ...base, id, size: txSize(tx) };
}

export function blockSummary(block: Block, main: boolean, id = blockIdHex(block), size = encodeBlock(block).length): BlockSummaryJson {
  const cb = block.txs[0];
  const h = block.header;
  return {
    id,
    height: h.height,
    prevHash: toHex(h.prevHash),
    timestamp: h.timestamp,
    target: toHex(h.target),
    nonce: h.nonce,
    txCount: block.txs.length,
    size,
    miner: cb && cb.kind === 'coinbase' && h.height > 0 ? encodeAddress(cb.to) : null,
    reward: cb && cb.kind === 'coinbase' ? cb.amount.toString() : '0',
    main,
  };
}

export function mempoolEntryJson(e: MempoolEntry): MempoolEntryJson {
  return { ...txView(e.tx, e.id), feeRate: e.feeRate.toString(), addedAt: e.addedAt };
}

/**
 * powLimit / target as a float: 1 at the easiest allowed target. Both are reduced to 53-bit
 * mantissas first, because Number() of a 256-bit bigint would lose everything but the top bits
 * anyway and this keeps the division exact enough for display.
 */
export function difficulty(powLimit: bigint, target: Uint8Array | bigint): number {
  const t = typeof target === 'bigint' ? target : targetToBigInt(target);
  if (t <= 0n) return Number.POSITIVE_INFINITY;
  const shift = BigInt(Math.max(0, powLimit.toString(2).length - 53));
  const num = Number(powLimit >> shift);
  const den = Number(t >> shift);
  const d = den === 0 ? Number(powLimit) / Number(t) : num / den;
  return Number(d.toPrecision(12));
}
