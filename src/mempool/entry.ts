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
  /**
   * First admission of this sender+nonce on the monotonic clock: lifetimes and age order run on it
   * (a wall-clock step neither expires the pool at once nor keeps it for hours). A replacement
   * keeps it, so it cannot reset its age. Never shown as a date.
   */
  enteredAt: number;
  /** The same moment on the wall clock: the date users see ("received at"); never compared. */
  addedAt: number;
}

/** When an entry was first admitted, on both clocks. */
export interface EntryTimes {
  enteredAt: number;
  addedAt: number;
}

export function makeEntry(tx: TransferTx, id: string, at: EntryTimes): MempoolEntry {
  const size = txSize(tx);
  return { tx, id, sender: addressKey(txSender(tx)), size, feeRate: feeRateOf(tx.fee, size), enteredAt: at.enteredAt, addedAt: at.addedAt };
}
