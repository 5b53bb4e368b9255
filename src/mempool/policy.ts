// Mempool policy: refusal reasons, limits, the fee-rate floor (minimum relay fee) and the price of
// a replacement. Pure functions; no state. Fee rates are units per 1,000 bytes, as Bitcoin Core's
// sat/kvB, so that integer math stays exact.
import { KadchainError, type TransferTx } from '../core/index.js';

export type MempoolReason =
  | 'already-known'
  | 'nonce-too-far'
  | 'rbf-fee-too-low'
  | 'mempool-full'
  | 'tx-too-large'
  | 'fee-too-low'
  | 'gapped-full'
  | 'replacement-rate-limited';

export class MempoolError extends KadchainError<MempoolReason> {}

export interface MempoolLimits {
  /** Ready transactions (next nonce onwards, contiguous, affordable): the pool proper. */
  maxCount: number;
  /** Pending txs per sender (ready + gapped), and how far past the next nonce a tx may be. */
  perSender: number;
  /** Lifetime of a ready transaction; a replacement keeps the original admission time. */
  lifetimeMs: number;
  /** Gapped transactions (nonce not next) held apart: in total and per sender. */
  gappedMaxCount: number;
  gappedPerSender: number;
  /** Gapped transactions live on their own, shorter clock (Bitcoin Core: orphans, 20 min). */
  gappedLifetimeMs: number;
  /** Fee-rate floor in units per 1,000 bytes: below it nothing is admitted, relayed or mined. */
  minRelayFeeRate: bigint;
  /** A replacement pays at least this many percent more fee... */
  rbfBumpPercent: number;
  /** ...and at least this rate times its own size on top (it is relayed again: BIP125 rule 4). */
  incrementalRelayFeeRate: bigint;
  /** Replacements per sender: burst, then one per `senderReplacementEveryMs`. */
  senderReplacementBurst: number;
  senderReplacementEveryMs: number;
  /** Replacements per source (an opaque tag, e.g. a peer id): burst, then one per `sourceReplacementEveryMs`. */
  sourceReplacementBurst: number;
  sourceReplacementEveryMs: number;
  /** Transactions of disconnected blocks that wait for funds: how many, and for how many blocks. */
  retryMaxCount: number;
  retryBlocks: number;
  /**
   * Transactions of disconnected blocks looked at per reorg (the oldest first: nonces stay in
   * order); the rest are dropped, as Bitcoin Core's disconnect pool drops what exceeds its memory.
   */
  reorgReturnedMax: number;
}

export const DEFAULT_MEMPOOL_LIMITS: Readonly<MempoolLimits> = Object.freeze({
  maxCount: 5000,
  perSender: 16,
  lifetimeMs: 3 * 60 * 60 * 1000,
  gappedMaxCount: 500,
  gappedPerSender: 8,
  gappedLifetimeMs: 20 * 60 * 1000,
  minRelayFeeRate: 1000n,
  rbfBumpPercent: 10,
  incrementalRelayFeeRate: 1000n,
  senderReplacementBurst: 5,
  senderReplacementEveryMs: 10_000,
  sourceReplacementBurst: 50,
  sourceReplacementEveryMs: 200,
  retryMaxCount: 1000,
  retryBlocks: 6,
  reorgReturnedMax: 5000,
});

/**
 * Refusals that may turn valid later (funds arrive, the gap closes, the pool drains, a budget
 * refills): the network edge must not remember these ids as rejected.
 */
export const TX_REFUSALS_MAY_BECOME_VALID: ReadonlySet<string> = new Set([
  'insufficient-funds', 'nonce-too-far', 'mempool-full', 'gapped-full', 'replacement-rate-limited', 'rbf-fee-too-low',
]);

/**
 * Refusals that cost us work but prove no malice on their own (a race can produce one): repeated,
 * they are junk, and the network edge charges the peer a small score for each.
 */
export const TX_REFUSALS_JUNK: ReadonlySet<string> = new Set(['rbf-fee-too-low', 'nonce-too-far', 'bad-nonce', 'fee-too-low', 'replacement-rate-limited', 'gapped-full']);

export const feeRateOf = (fee: bigint, size: number): bigint => (fee * 1000n) / BigInt(size);

/** Smallest fee a transaction of `size` bytes pays at `rate` units per 1,000 bytes (rounded up). */
export const feeAtRate = (rate: bigint, size: number): bigint => (rate * BigInt(size) + 999n) / 1000n;

/** The fee-rate floor: refused with `fee-too-low`. */
export function checkMinRelayFee(tx: TransferTx, size: number, limits: MempoolLimits): void {
  const min = feeAtRate(limits.minRelayFeeRate, size);
  if (tx.fee < min || tx.fee === 0n) throw new MempoolError('fee-too-low', `fee ${tx.fee} is below the minimum relay fee ${min} (${limits.minRelayFeeRate} per 1000 bytes)`);
}

/** Least fee a replacement of `old` must pay: the percentage bump and the incremental relay fee for its own bytes. */
export function replacementMinFee(oldFee: bigint, size: number, limits: MempoolLimits): bigint {
  const bumped = oldFee + (oldFee * BigInt(limits.rbfBumpPercent) + 99n) / 100n;
  const incremental = oldFee + feeAtRate(limits.incrementalRelayFeeRate, size);
  return bumped > incremental ? bumped : incremental;
}

/**
 * A replacement pays the bump over the transaction it replaces, plus the fees of the sender's later
 * transactions it leaves unaffordable (`droppedFees`): they were relayed and would otherwise never
 * pay (BIP125 rule 3: a replacement pays for everything it evicts).
 */
export function checkReplacement(tx: TransferTx, oldFee: bigint, size: number, limits: MempoolLimits, droppedFees = 0n): void {
  const min = replacementMinFee(oldFee, size, limits) + droppedFees;
  if (tx.fee < min) {
    const dropped = droppedFees > 0n ? `, plus ${droppedFees} for the later transactions it makes unaffordable` : '';
    throw new MempoolError('rbf-fee-too-low', `replacement fee must be at least ${min} (${limits.rbfBumpPercent}% and ${limits.incrementalRelayFeeRate} per 1000 bytes above ${oldFee}${dropped})`);
  }
}

/**
 * True when `incoming` may evict `worst` from a full pool: its fee rate beats the worst tail's by
 * the incremental relay fee rate (Bitcoin Core's rolling minimum fee), so that pushing out another
 * sender's transaction costs what relaying the newcomer costs, not one unit per 1000 bytes.
 */
export function outbidsForEviction(incoming: bigint, worst: bigint, limits: MempoolLimits): boolean {
  return incoming >= worst + limits.incrementalRelayFeeRate;
}
