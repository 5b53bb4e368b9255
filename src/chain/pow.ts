// Proof-of-work, difficulty schedule, reward and work: pure functions over numbers and bytes.
import { headerId, targetToBigInt, workForTarget, RuleError, type BlockHeader, type ChainParams } from '../core/index.js';
import { bytesToBigInt } from '../crypto/index.js';

/** Valid work: the block id read as a 256-bit big-endian integer is <= the header's target. */
export function checkProofOfWork(header: BlockHeader, id: Uint8Array = headerId(header)): void {
  const target = targetToBigInt(header.target);
  if (bytesToBigInt(id) > target) throw new RuleError('bad-pow', `block id above target at height ${header.height}`, { height: header.height });
}

export function hasValidWork(id: Uint8Array, target: bigint): boolean {
  return bytesToBigInt(id) <= target;
}

/** Block reward at a height: halves every halvingInterval blocks, zero after 64 halvings. */
export function blockReward(height: number, params: Pick<ChainParams, 'blockReward' | 'halvingInterval'>): bigint {
  const halvings = Math.floor(height / params.halvingInterval);
  return halvings >= 64 ? 0n : params.blockReward >> BigInt(halvings);
}

/**
 * Which ancestor the retarget at `height` measures from, or null when `height` keeps its parent's
 * target. The span runs from the last block of the previous window, so consecutive windows share
 * their boundary block and every interval is counted once: the time-warp attack (a low timestamp
 * first in each window, a high one last) gains nothing, as the spans telescope to real elapsed
 * time. The window starts at height 1 at the earliest: the genesis timestamp is fixed in a file
 * long before the chain is mined, so measuring from it would make the first retarget meaningless.
 */
export function retargetWindow(height: number, params: Pick<ChainParams, 'retargetInterval'>): { firstHeight: number; lastHeight: number } | null {
  if (height <= 1 || height % params.retargetInterval !== 0) return null;
  const lastHeight = height - 1;
  const firstHeight = Math.max(1, height - params.retargetInterval - 1);
  if (lastHeight <= firstHeight) return null;
  return { firstHeight, lastHeight };
}

/**
 * Target for a block at a retarget height: parent target x actual span / expected span, the ratio
 * clamped to [1/maxAdjustment, maxAdjustment], never easier than powLimit and never zero.
 */
export function retargetTarget(
  params: Pick<ChainParams, 'targetBlockTimeMs' | 'maxAdjustment' | 'powLimit'>,
  parentTarget: bigint,
  window: { firstHeight: number; lastHeight: number },
  firstTimestamp: number,
  lastTimestamp: number,
): bigint {
  const expected = BigInt(window.lastHeight - window.firstHeight) * BigInt(params.targetBlockTimeMs);
  const adj = BigInt(params.maxAdjustment);
  let actual = BigInt(lastTimestamp - firstTimestamp);
  if (actual < expected / adj) actual = expected / adj;
  if (actual > expected * adj) actual = expected * adj;
  if (actual < 1n) actual = 1n;
  let next = (parentTarget * actual) / expected;
  if (next > params.powLimit) next = params.powLimit;
  if (next < 1n) next = 1n;
  return next;
}

/** Median of the previous (up to) 11 timestamps: a block must be strictly later. */
export function medianTimePast(timestamps: number[]): number {
  if (timestamps.length === 0) return 0;
  const sorted = [...timestamps].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export const MEDIAN_TIME_SPAN = 11;

export { workForTarget };
