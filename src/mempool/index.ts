// mempool/: the pending transaction pool (admission, RBF, eviction, expiry, re-validation, selection).
export { Mempool, MempoolError, DEFAULT_MEMPOOL_LIMITS, type MempoolReason, type MempoolLimits, type MempoolEntry, type AdmitResult, type MempoolEvents, type MempoolOptions } from './mempool.js';
