// Header rules against the parent, cheapest first; proof-of-work last of the cheap ones.
import { headerId, targetToBigInt, RuleError, type BlockHeader, type ChainParams } from '../core/index.js';
import { bytesEqual } from '../crypto/index.js';
import { checkProofOfWork } from './pow.js';

export interface ParentContext {
  id: Uint8Array;
  height: number;
  /** Target the child must carry (parent's, or the retarget result). */
  expectedTarget: bigint;
  /** Median of the last 11 timestamps ending at the parent. */
  medianTimePast: number;
}

/**
 * Checks a header against its parent. `time-too-new` is a soft failure: the block may become valid
 * later, so callers hold it rather than punishing whoever sent it.
 */
export function checkHeader(header: BlockHeader, parent: ParentContext, params: Pick<ChainParams, 'maxFutureDriftMs'>, now: number, id: Uint8Array = headerId(header)): void {
  // Links to the parent it claims.
  if (!bytesEqual(header.prevHash, parent.id)) throw new RuleError('bad-prev', 'prevHash does not match parent id', { height: header.height });
  // Height is the parent's plus one.
  if (header.height !== parent.height + 1) throw new RuleError('bad-height', `expected height ${parent.height + 1}, got ${header.height}`);
  // Target follows the difficulty schedule exactly.
  if (targetToBigInt(header.target) !== parent.expectedTarget) {
    throw new RuleError('bad-target', `expected target ${parent.expectedTarget.toString(16)}, got ${targetToBigInt(header.target).toString(16)}`, { height: header.height });
  }
  // Strictly later than the median of the last 11 blocks: time cannot be dragged backwards.
  if (header.timestamp <= parent.medianTimePast) {
    throw new RuleError('time-too-old', `expected timestamp > ${parent.medianTimePast}, got ${header.timestamp}`, { height: header.height });
  }
  // Not too far in the future of our clock.
  if (header.timestamp > now + params.maxFutureDriftMs) {
    throw new RuleError('time-too-new', `timestamp ${header.timestamp} is more than ${params.maxFutureDriftMs} ms ahead of local time ${now}`, { height: header.height });
  }
  // The work is real.
  checkProofOfWork(header, id);
}
