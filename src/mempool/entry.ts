// One pending transaction as the pool keeps it.
import { txSender, txSize, addressKey, type TransferTx } from '../core/index.js';
import { feeRateOf } from './policy.js';

export interface MempoolEntry {
  tx: TransferTx;
  id: string;
  sender: string;
  size: number;
  /** Fee per 1000 bytes, in units. */
  feeRate: bigint;
  /** First admission of this sender+nonce: a replacement keeps it, so it cannot reset its age. */
  addedAt: number;
}

export function makeEntry(tx: TransferTx, id: string, addedAt: number): MempoolEntry {
  const size = txSize(tx);
  return { tx, id, sender: addressKey(txSender(tx)), size, feeRate: feeRateOf(tx.fee, size), addedAt };
}
