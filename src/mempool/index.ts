// mempool/: the pending transaction pool (admission, ready pool, gapped queue, replacement policy,
// expiry, reorg retry, package selection).
export { Mempool, type AdmitResult, type MempoolEvents, type MempoolOptions } from './mempool.js';
export type { MempoolEntry } from './entry.js';
export {
  MempoolError, DEFAULT_MEMPOOL_LIMITS, TX_REFUSALS_MAY_BECOME_VALID, TX_REFUSALS_JUNK, feeAtRate, feeRateOf, replacementMinFee,
  type MempoolReason, type MempoolLimits,
} from './policy.js';
export { selectPackages, TX_FRAMING_BYTES } from './selection.js';
